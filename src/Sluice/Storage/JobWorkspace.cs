using System.Globalization;
using System.Security.Cryptography;

namespace Sluice.Storage;

/// <summary>
/// A job's working folder, <c>{workspace}/{jobId}/{ddMMyyyyHHmmss}/</c>, shared by its stages (on a shared mount when
/// workers run on several machines). Each stage writes under its own sub-folder.
/// </summary>
public sealed class JobWorkspace(string path)
{
    public string Path { get; } = path;

    public static string PathFor(string root, Guid jobId, DateTime utcNow) =>
        System.IO.Path.Combine(root, jobId.ToString(), utcNow.ToString("ddMMyyyyHHmmss", CultureInfo.InvariantCulture));

    /// <summary>The folder a stage writes to, created on demand.</summary>
    public string StageFolder(string stage)
    {
        var dir = System.IO.Path.Combine(Path, stage);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Where a stage keeps one chunk's files: <c>{stage}/chunk-0007</c>, or the stage folder itself for a
    /// stage that covers the whole file (<paramref name="chunk"/> null). Not created.</summary>
    public string ChunkFolder(string stage, int? chunk) =>
        chunk is { } c ? System.IO.Path.Combine(Path, stage, $"chunk-{c:D4}") : System.IO.Path.Combine(Path, stage);

    /// <summary>Files up to this size are read and written with plain synchronous calls: for a file of a few kilobytes
    /// the hand-offs of asynchronous file I/O to the thread pool cost more than the bytes.</summary>
    public const long SmallFileBytes = 1 << 20;

    public static async Task<string> Sha256Async(string file, CancellationToken ct)
    {
        if (new FileInfo(file).Length <= SmallFileBytes)
        {
            using var small = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: false);
            return Convert.ToHexStringLower(SHA256.HashData(small));
        }
        // Large files in blocks of 1 MiB: SHA256.HashDataAsync reads 4 KiB at a time, a quarter of a million awaits per GB.
        await using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, useAsync: true);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = Blocks.Pool.Rent(Blocks.Size);
        try
        {
            int n;
            while ((n = await fs.ReadAsync(buffer.AsMemory(0, Blocks.Size), ct)) > 0) hash.AppendData(buffer, 0, n);
        }
        finally
        {
            Blocks.Pool.Return(buffer);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
