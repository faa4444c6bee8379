using System.Text;
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

    /// <summary>
    /// The longest segment (folder or file name) in UTF-8 bytes: file systems take names of at most 255 bytes, an
    /// object is first written under a hidden temporary name longer than its own (<see cref="FolderBuckets.TempNameFor"/>),
    /// and a converted file is published under its name with another extension (at most <c>.parquet</c>, 8 bytes more).
    /// </summary>
    public static readonly int MaxSegmentBytes = 255 - FolderBuckets.TempNameExtraBytes - ".parquet".Length;

    public static string Validate(string key) =>
        Problem(key) is { } why
            ? throw new SluiceException("key.invalid", $"object key '{Printable(key)}' {why}; rename the file or object.")
            : key;

    public static bool IsValid(string key) => Problem(key) is null;

    /// <summary>Why <paramref name="key"/> is not a valid object key (as "is empty", "contains a backslash"...), or null.</summary>
    public static string? Problem(string key) => key switch
    {
        "" => "is empty",
        _ when key.Length > MaxLength => $"is longer than {MaxLength} characters",
        _ when key.StartsWith('/') => "is an absolute path",
        _ when key.Contains('\\') => "contains a backslash",
        _ when key.Any(char.IsControl) => "contains a control character",
        _ when key.Split('/').Any(s => s is "" or "." or "..") => "has an empty, '.' or '..' segment",
        _ when key.Split('/').Any(s => Encoding.UTF8.GetByteCount(s) > MaxSegmentBytes) =>
            $"has a segment longer than {MaxSegmentBytes} bytes in UTF-8, the most a folder or file name may take",
        _ => null,
    };

    /// <summary>The key with control characters shown as \uXXXX, for messages and logs.</summary>
    public static string Printable(string key) =>
        string.Concat(key.Take(200).Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
