using System.Buffers;
using System.Security.Cryptography;

namespace Sluice.Storage;

/// <summary>Sees each block of a file as it is copied (the chunk planner finds record boundaries this way).</summary>
public delegate void BlockObserver(ReadOnlySpan<byte> block);

/// <summary>
/// Copies a file while hashing it (SHA-256), in one pass over its bytes: the hash is the hash of exactly the bytes
/// the copy holds, whatever happens to the original meanwhile.
/// </summary>
public static class HashedCopy
{
    /// <param name="expectedSize">The size the caller knows the file by: it chooses how the file is read, no more.</param>
    /// <returns>The bytes copied and their SHA-256 (lower-case hex).</returns>
    public static async Task<(long Size, string Sha256)> CopyAsync(string source, string target, long expectedSize, BlockObserver? observe,
        CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var size = expectedSize <= JobWorkspace.SmallFileBytes
            ? CopySmall(source, target, hash, observe)
            : await CopyLargeAsync(source, target, hash, observe, ct);
        return (size, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>A file of a few kilobytes: plain synchronous calls, no hand-offs to the thread pool.</summary>
    private static long CopySmall(string source, string target, IncrementalHash hash, BlockObserver? observe)
    {
        using var src = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: false);
        using var dst = FreshFile.Open(target);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long size = 0;
            int n;
            while ((n = src.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                observe?.Invoke(buffer.AsSpan(0, n));
                dst.Write(buffer, 0, n);
                size += n;
            }
            return size;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// A large file in blocks of 1 MiB, two cores at work: each block is hashed on a pool thread while this one
    /// observes and writes it and reads the next (hashing alone costs about as much as the rest together).
    /// </summary>
    private static async Task<long> CopyLargeAsync(string source, string target, IncrementalHash hash, BlockObserver? observe, CancellationToken ct)
    {
        const int block = Blocks.Size;
        await using var src = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, useAsync: true);
        await using var dst = FreshFile.Open(target, bufferSize: 0, options: FileOptions.Asynchronous);
        var current = Blocks.Pool.Rent(block);
        var next = Blocks.Pool.Rent(block);
        Task hashing = Task.CompletedTask;
        var writeback = new Writeback.Tracker(dst.SafeFileHandle);
        long size = 0;
        try
        {
            var n = await src.ReadAsync(current.AsMemory(0, block), ct);
            while (n > 0)
            {
                var (bytes, count) = (current, n);
                hashing = Task.Run(() => hash.AppendData(bytes, 0, count), ct);
                observe?.Invoke(bytes.AsSpan(0, count));
                await dst.WriteAsync(bytes.AsMemory(0, count), ct);
                writeback.Wrote(count);
                size += count;
                n = await src.ReadAsync(next.AsMemory(0, block), ct);
                await hashing;
                (current, next) = (next, current);
            }
        }
        finally
        {
            // Never hand a buffer back to the pool while the hash may still be reading it.
            await hashing.ContinueWith(_ => { }, TaskScheduler.Default);
            Blocks.Pool.Return(current);
            Blocks.Pool.Return(next);
        }
        return size;
    }
}
