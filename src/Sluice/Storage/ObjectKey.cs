using Sluice.Errors;

namespace Sluice.Storage;

/// <summary>
/// Object keys are untrusted (they come from file names, uploads and other systems): a key is a relative,
/// '/'-separated path with no empty, '.' or '..' segments, no backslashes and no control characters, so that
/// joining it under a bucket folder can never leave that folder.
/// </summary>
public static class ObjectKey
{
    public const int MaxLength = 1024;

    public static string Validate(string key)
    {
        string? why = key switch
        {
            "" => "is empty",
            _ when key.Length > MaxLength => $"is longer than {MaxLength} characters",
            _ when key.StartsWith('/') => "is an absolute path",
            _ when key.Contains('\\') => "contains a backslash",
            _ when key.Any(char.IsControl) => "contains a control character",
            _ when key.Split('/').Any(s => s is "" or "." or "..") => "has an empty, '.' or '..' segment",
            _ => null,
        };
        return why is null ? key : throw new SluiceException("key.invalid", $"object key '{Printable(key)}' {why}; rename the file or object.");
    }

    public static bool IsValid(string key)
    {
        try { Validate(key); return true; }
        catch (SluiceException) { return false; }
    }

    /// <summary>The key with control characters shown as \uXXXX, for messages and logs.</summary>
    public static string Printable(string key) =>
        string.Concat(key.Take(200).Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
