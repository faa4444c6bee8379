namespace Sluice.Formats.Csv;

/// <summary>
/// A CSV file that cannot be read on: empty, undecodable, malformed quoting in the middle of the
/// file, or a record too large to buffer. Always terminal: retrying the same bytes fails again.
/// </summary>
/// <param name="code">A stable code, e.g. <c>csv.malformed_quote</c>.</param>
/// <param name="line">The 1-based physical line where the problem starts, when known.</param>
/// <param name="message">What is wrong and what to do.</param>
public sealed class CsvFileException(string code, long? line, string message) : Exception(message)
{
    /// <summary>The stable error code.</summary>
    public string Code { get; } = code;

    /// <summary>The 1-based physical line where the problem starts, when known.</summary>
    public long? Line { get; } = line;
}
