namespace Sluice.Pipelines;

/// <summary>
/// Pipeline definitions that cannot be used. Carries every error found (all errors of a file,
/// and of every file of a directory), so a user fixes them in one pass rather than one per run.
/// The problem is terminal: retrying without editing the files gives the same errors.
/// </summary>
public sealed class PipelineException : Exception
{
    public PipelineException(IReadOnlyList<PipelineError> errors)
        : base(Describe(errors)) => Errors = errors;

    public IReadOnlyList<PipelineError> Errors { get; }

    private static string Describe(IReadOnlyList<PipelineError> errors) => errors.Count switch
    {
        0 => "invalid pipeline definition",
        1 => errors[0].ToString(),
        _ => $"{errors.Count} errors in pipeline definitions:{Environment.NewLine}" +
             string.Join(Environment.NewLine, errors.Select(e => "  " + e)),
    };
}
