namespace Sluice.Errors;

/// <summary>
/// A failure Sluice can explain: a stable <see cref="Code"/> (e.g. <c>csv.missing_column</c>),
/// a message that says what to do, and whether trying again may help.
/// </summary>
public class SluiceException(string code, string message, bool transient = false, Exception? inner = null)
    : Exception(message, inner)
{
    public string Code { get; } = code;

    /// <summary>True when the same work may succeed if tried again (connection lost, lease lost, I/O timeout).</summary>
    public bool Transient { get; } = transient;
}
