using Sluice.Errors;

namespace Sluice.Storage;

/// <summary>
/// Buckets as folders: bucket <c>inbox</c> is <c>{root}/inbox</c>, object <c>a/b.csv</c> is <c>{root}/inbox/a/b.csv</c>.
/// Writes go to a hidden temporary file first and are renamed into place, so readers never see half an object.
/// </summary>
public sealed class FolderBuckets(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string BucketPath(string bucket)
    {
        if (bucket.Length == 0 || bucket.Contains('/') || bucket.Contains('\\') || bucket is "." or ".." || bucket.Any(char.IsControl))
            throw new SluiceException("bucket.invalid", $"bucket name '{ObjectKey.Printable(bucket)}' is not a plain folder name.");
        return Path.Combine(Root, bucket);
    }

    /// <summary>The file behind an object; the key is validated and the result checked to stay inside the bucket.</summary>
    public string ObjectPath(string bucket, string key)
    {
        var bucketPath = BucketPath(bucket);
        var full = Path.GetFullPath(Path.Combine(bucketPath, ObjectKey.Validate(key)));
        if (!full.StartsWith(bucketPath + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new SluiceException("key.invalid", $"object key '{ObjectKey.Printable(key)}' leaves bucket '{bucket}'.");
        return full;
    }

    /// <summary>
    /// The hidden name Sluice writes an object under before renaming it into place. The folder trigger takes a file
    /// renamed into place at once (its writer says it is complete), except from these names: whoever puts an object
    /// this way (an upload, <c>sluice run</c>, publish) records its job itself, and the trigger then only confirms it
    /// (in the upload's own process it does not read an upload's object at all: <see cref="Trigger.RecordedUploads"/>).
    /// </summary>
    public static string TempNameFor(string target) =>
        Path.Combine(Path.GetDirectoryName(target)!, $"{TempPrefix}{Path.GetFileName(target)}.{Guid.NewGuid():N}{TempSuffix}");

    public const string TempPrefix = ".sluice-put-";
    private const string TempSuffix = ".tmp";

    /// <summary>How many bytes <see cref="TempNameFor"/> adds to an object's file name: the prefix, '.', 32 hex digits, the suffix.</summary>
    public static readonly int TempNameExtraBytes = TempPrefix.Length + 1 + 32 + TempSuffix.Length;

    /// <summary>Copies a local file into a bucket under a key (a hard link when both are on one file system).</summary>
    public async Task<string> PutFileAsync(string bucket, string key, string sourceFile, CancellationToken ct)
    {
        var target = ObjectPath(bucket, key);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = TempNameFor(target);
        try
        {
            if (!FileLinks.TryHardLink(sourceFile, temp))
            {
                await using var src = new FileStream(sourceFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                await using var dst = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                await src.CopyToAsync(dst, ct);
            }
            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            // rename(2) does nothing when both names are links to one file (the same file put again, as a replay of
            // publish does): the temporary name would stay, hidden, holding the bytes. Also gone after a failed copy.
            File.Delete(temp);
        }
        return target;
    }

    /// <summary>Puts a short text (a report) under a key: written synchronously (see <see cref="FreshFile.WriteAllText"/>).</summary>
    public Task<string> PutTextAsync(string bucket, string key, string text, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var target = ObjectPath(bucket, key);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = TempNameFor(target);
        FreshFile.WriteAllText(temp, text);
        File.Move(temp, target, overwrite: true);
        return Task.FromResult(target);
    }
}
