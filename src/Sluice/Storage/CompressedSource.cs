using Sluice.Errors;

namespace Sluice.Storage;

/// <summary>
/// Compressed source files, by their name: gzip (<c>.gz</c>, <see cref="GzipSource"/>) and Zstandard (<c>.zst</c>,
/// <c>.zstd</c>, <see cref="ZstdSource"/>). The download stage decompresses them into the file every later stage reads;
/// the compressed bytes stay the job's source (what arrived, was hashed and is published). Both are limited alike, so
/// a small hostile file cannot fill the disk: gzip grows up to about 1,000 times, Zstandard far more.
/// </summary>
public static class CompressedSource
{
    /// <summary>Below this, a file may grow up to it whatever its ratio: a few kilobytes of repetitive CSV legitimately
    /// grow more than any ratio a large file would need.</summary>
    public const long LimitFloorBytes = 64L << 20;

    /// <summary>Whether the key names a compressed file Sluice decompresses.</summary>
    public static bool IsCompressedKey(string key) => GzipSource.IsGzipKey(key) || ZstdSource.IsZstdKey(key);

    /// <summary>The compression the key names: "gzip", "zstd", or null.</summary>
    public static string? CompressionOf(string key) => GzipSource.IsGzipKey(key) ? "gzip" : ZstdSource.IsZstdKey(key) ? "zstd" : null;

    /// <summary>The name of the file the stages after download read: the file name without its compression extension.</summary>
    public static string InflatedName(string fileName) =>
        GzipSource.IsGzipKey(fileName) ? GzipSource.InflatedName(fileName) : ZstdSource.InflatedName(fileName);

    /// <summary>How many bytes a file of <paramref name="compressedSize"/> may grow to.</summary>
    public static long Limit(long compressedSize, int maxRatio) =>
        maxRatio <= 0 ? long.MaxValue : Math.Max(LimitFloorBytes, compressedSize > long.MaxValue / maxRatio ? long.MaxValue : compressedSize * maxRatio);

    /// <summary>Decompresses a file whose key <see cref="IsCompressedKey"/> names as compressed.</summary>
    /// <returns>The decompressed size and its SHA-256 (lower-case hex).</returns>
    public static Task<(long Size, string Sha256)> InflateAsync(string key, string source, string target, string name, int maxRatio, CancellationToken ct) =>
        GzipSource.IsGzipKey(key)
            ? GzipSource.InflateAsync(source, target, name, maxRatio, ct)
            : ZstdSource.InflateAsync(source, target, name, maxRatio, ct);

    /// <summary>The compression a file's first bytes show ("gzip", "zstd"), or null: for a file whose name says nothing.</summary>
    public static string? SignatureOf(string path) => SignatureOf(Head(path));

    private static string? SignatureOf(ReadOnlySpan<byte> head) =>
        GzipSource.StartsWithSignature(head) ? "gzip" : ZstdSource.StartsWithSignature(head) ? "zstd" : null;

    /// <summary>Why a file named as <paramref name="compression"/>-compressed is not, from its first bytes, and what to do:
    /// an empty file, one compressed the other way (named for it, Sluice reads it), or one not compressed.</summary>
    /// <param name="signature">How the message names what such a file starts with.</param>
    internal static string Misnamed(string name, string compression, string signature, ReadOnlySpan<byte> head)
    {
        var extension = Extension(compression);
        if (head.IsEmpty)
            return $"{name} is named {extension} but is empty (0 bytes); put the complete {compression}-compressed file in its place.";
        if (SignatureOf(head) is { } other && other != compression)
            return $"{name} is named {extension} but is {other}-compressed; put it under a name ending in {Extension(other)} instead of " +
                   $"{extension} and Sluice decompresses it.";
        return $"{name} is named {extension} but is not {compression}-compressed (it does not start with {signature}); " +
               $"compress it with {compression}, or put it under a name without {extension}.";
    }

    /// <summary>Refuses a file that decompressed to compressed content again (compressed twice), removing it: read on,
    /// it would reach the format's reader as garbage (a CSV: one header column of binary; JSON Lines: every line rejected).</summary>
    /// <param name="inflated">The decompressed file.</param>
    /// <param name="name">How the message names the compressed file.</param>
    /// <exception cref="SluiceException"><c>source.compressed</c>.</exception>
    public static void RefuseIfCompressedAgain(string inflated, string name)
    {
        if (SignatureOf(inflated) is not { } again) return;
        File.Delete(inflated);
        throw new SluiceException("source.compressed",
            $"{name} decompresses to {again}-compressed content again: it was compressed twice; compress the file once and put it in its place.");
    }

    /// <summary>A file's first four bytes (fewer when it is shorter).</summary>
    internal static byte[] Head(string path)
    {
        var head = new byte[4];
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        return head[..file.ReadAtLeast(head, 4, throwOnEndOfStream: false)];
    }

    /// <summary>The extension that names <paramref name="compression"/> ("gzip" → .gz, "zstd" → .zst).</summary>
    public static string Extension(string compression) => compression == "gzip" ? ".gz" : ".zst";

    internal static SluiceException TooLarge(string name, long limit, long compressedSize, int maxRatio) =>
        new("source.inflate_limit",
            $"{name} inflates to more than {limit:N0} bytes ({maxRatio}× its {compressedSize:N0} compressed bytes, at least " +
            $"{LimitFloorBytes >> 20} MiB) and was stopped there as a likely decompression bomb. If the file is genuine, raise " +
            $"SLUICE_MAX_INFLATE_RATIO (now {maxRatio}; 0 turns the limit off) and run it again (a job: replay it from download).");
}
