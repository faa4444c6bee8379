namespace Sluice.Stages.Transform;

/// <summary>
/// A terminal transform failure: the file or its header cannot be used as it is, so retrying
/// cannot help; someone must fix the file or the pipeline and replay the job.
/// </summary>
/// <param name="code">A stable code, e.g. <c>csv.header_duplicate</c> or <c>csv.missing_column</c>.</param>
/// <param name="message">Names the file, line and column where known, and what to do.</param>
/// <param name="inner">The underlying exception, if any.</param>
public sealed class TransformException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The stable error code.</summary>
    public string Code { get; } = code;
}
