namespace Sluice.Formats;

/// <summary>
/// A data file that cannot be read or written on: unsupported column type, undecodable structure, a value the
/// target format cannot hold. Always terminal: the same bytes fail again.
/// </summary>
/// <param name="code">A stable code, e.g. <c>parquet.nested_column</c>.</param>
/// <param name="line">The 1-based line (or row) where the problem is, when known.</param>
/// <param name="message">What is wrong and what to do.</param>
public sealed class DataFileException(string code, long? line, string message) : Exception(message)
{
    /// <summary>The stable error code.</summary>
    public string Code { get; } = code;

    /// <summary>The 1-based line or row where the problem starts, when known.</summary>
    public long? Line { get; } = line;
}
