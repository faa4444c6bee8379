using Sluice.Errors;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Sluice.Storage;

/// <summary>
/// Source files compressed with Zstandard: an object whose key ends in <c>.zst</c> or <c>.zstd</c> is decompressed by
/// the download stage into the file every later stage reads (<c>payments.csv.zst</c> → <c>payments.csv</c>), streaming,
/// hashed on the way and stopped past the same limit as gzip (<see cref="CompressedSource.Limit"/>). Frames written one
/// after another are read in turn, as <c>zstd -d</c> reads them; a frame cut short fails, and so does one whose content
/// checksum (written by <c>zstd</c> by default) does not match.
/// </summary>
public static class ZstdSource
{
    /// <summary>What a Zstandard frame starts with (RFC 8878): its magic number, little-endian.</summary>
    private static ReadOnlySpan<byte> Signature => [0x28, 0xB5, 0x2F, 0xFD];

    /// <summary>Whether the key names a Zstandard-compressed file (<c>.zst</c> or <c>.zstd</c>, any case).</summary>
    public static bool IsZstdKey(string key) =>
        key.EndsWith(".zst", StringComparison.OrdinalIgnoreCase) || key.EndsWith(".zstd", StringComparison.OrdinalIgnoreCase);

    /// <summary>The name of the file the stages after download read: the object's file name without its extension.</summary>
    public static string InflatedName(string fileName)
    {
        if (!IsZstdKey(fileName)) return fileName;
        var stem = fileName[..fileName.LastIndexOf('.')];
        return stem.Length > 0 ? stem : "inflated";
    }

    /// <summary>Whether <paramref name="head"/>, a file's first bytes, starts like a Zstandard frame, or like a skippable
    /// frame (magic 0x184D2A50 to 0x184D2A5F), which <c>pzstd</c> writes first.</summary>
    public static bool StartsWithSignature(ReadOnlySpan<byte> head) =>
        head.StartsWith(Signature) || head is [>= 0x50 and <= 0x5F, 0x2A, 0x4D, 0x18, ..];

    /// <summary>Decompresses <paramref name="source"/> into <paramref name="target"/>, hashing what it writes.</summary>
    /// <param name="name">How messages name the file (its bucket and key).</param>
    /// <param name="maxRatio">How many times its own size the file may grow to (<see cref="CompressedSource.Limit"/>); 0 for no limit.</param>
    /// <returns>The decompressed size and its SHA-256 (lower-case hex).</returns>
    /// <exception cref="SluiceException"><c>source.not_zstd</c>, <c>source.zstd_corrupt</c> or <c>source.inflate_limit</c>.</exception>
    public static async Task<(long Size, string Sha256)> InflateAsync(string source, string target, string name, int maxRatio, CancellationToken ct)
    {
        var head = CompressedSource.Head(source);
        if (!StartsWithSignature(head))
            throw new SluiceException("source.not_zstd", CompressedSource.Misnamed(name, "zstd", "the Zstandard magic number 28 b5 2f fd", head));
        var buffer = Blocks.Pool.Rent(Blocks.Size);
        try
        {
            await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: false);
            await using var output = new InflatedFile(target, name, input.Length, maxRatio);
            await using var zstd = new DecompressionStream(input, leaveOpen: true);
            while (true)
            {
                int n;
                try
                {
                    n = await zstd.ReadAsync(buffer.AsMemory(0, Blocks.Size), ct);
                }
                // zstd --long (by default 128 MiB and more for --long=27+) writes frames whose window would take that much
                // memory to decompress: the decoder's limit (zstd -d's too) keeps a small file from claiming gigabytes.
                catch (ZstdException e) when (e.Code == ZSTD_ErrorCode.ZSTD_error_frameParameter_windowTooLarge)
                {
                    throw new SluiceException("source.zstd_window",
                        $"{name} was compressed with a window larger than the 128 MiB Sluice decompresses with (as zstd --long " +
                        "writes for a large file), which would take that much memory to decompress; compress it again without --long, " +
                        "or with --long=27 or less.");
                }
                catch (Exception e) when (e is ZstdException or EndOfStreamException)
                {
                    throw new SluiceException("source.zstd_corrupt",
                        $"{name} is not valid Zstandard near compressed byte {input.Position:N0} of {input.Length:N0}: {e.Message.TrimEnd('.')}. " +
                        "The file is damaged or was cut short: put a complete copy in its place.");
                }
                if (n == 0) break;
                await output.WriteAsync(buffer.AsMemory(0, n), ct);
            }
            return output.Complete();
        }
        finally
        {
            Blocks.Pool.Return(buffer);
        }
    }
}
