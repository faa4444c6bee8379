using Sluice.Errors;

namespace Sluice.Storage;

/// <summary>
/// Compressed source files, by their name: gzip (<c>.gz</c>, <see cref="GzipSource"/>), Zstandard (<c>.zst</c>,
/// <c>.zstd</c>, <see cref="ZstdSource"/>) and zip archives of one file (<c>.zip</c>, <see cref="ZipSource"/>). The
/// download stage decompresses them into the file every later stage reads; the compressed bytes stay the job's source
/// (what arrived, was hashed and is published). All are limited alike, so a small hostile file cannot fill the disk:
/// gzip and zip grow up to about 1,000 times, Zstandard far more.
/// </summary>
public static class CompressedSource
{
    /// <summary>Below this, a file may grow up to it whatever its ratio: a few kilobytes of repetitive CSV legitimately
    /// grow more than any ratio a large file would need.</summary>
    public const long LimitFloorBytes = 64L << 20;

    /// <summary>Whether the key names a compressed file Sluice decompresses.</summary>
    public static bool IsCompressedKey(string key) => CompressionOf(key) is not null;

    /// <summary>The compression the key names: "gzip", "zstd", "zip", or null.</summary>
    public static string? CompressionOf(string key) =>
        GzipSource.IsGzipKey(key) ? "gzip" : ZstdSource.IsZstdKey(key) ? "zstd" : ZipSource.IsZipKey(key) ? "zip" : null;

    /// <summary>The name of the file the stages after download read: the file name without its compression extension.</summary>
    public static string InflatedName(string fileName) => CompressionOf(fileName) switch
    {
        "gzip" => GzipSource.InflatedName(fileName),
        "zip" => ZipSource.InflatedName(fileName),
        _ => ZstdSource.InflatedName(fileName),
    };

    /// <summary>How many bytes a file of <paramref name="compressedSize"/> may grow to.</summary>
    public static long Limit(long compressedSize, int maxRatio) =>
        maxRatio <= 0 ? long.MaxValue : Math.Max(LimitFloorBytes, compressedSize > long.MaxValue / maxRatio ? long.MaxValue : compressedSize * maxRatio);

    /// <summary>Decompresses a file whose key <see cref="IsCompressedKey"/> names as compressed.</summary>
    /// <returns>The decompressed size, its SHA-256 (lower-case hex), and for a zip archive the name of the file it held.</returns>
    public static async Task<(long Size, string Sha256, string? Entry)> InflateAsync(string key, string source, string target, string name,
        int maxRatio, CancellationToken ct)
    {
        switch (CompressionOf(key))
        {
            case "gzip":
                var (size, sha) = await GzipSource.InflateAsync(source, target, name, maxRatio, ct);
                return (size, sha, null);
            case "zip":
                return await ZipSource.InflateAsync(source, target, name, maxRatio, ct);
            default:
                (size, sha) = await ZstdSource.InflateAsync(source, target, name, maxRatio, ct);
                return (size, sha, null);
        }
    }

    /// <summary>The compression a file's first bytes show ("gzip", "zstd", "zip"), or null: for a file whose name says nothing.</summary>
    public static string? SignatureOf(string path) => SignatureOf(Head(path));

    private static string? SignatureOf(ReadOnlySpan<byte> head) =>
        GzipSource.StartsWithSignature(head) ? "gzip" : ZstdSource.StartsWithSignature(head) ? "zstd" : ZipSource.StartsWithSignature(head) ? "zip" : null;

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

    /// <summary>What a file named as a document built on zip is (a spreadsheet workbook for <c>.xlsx</c>), or null: such
    /// a file starts as a zip archive does, and renaming it <c>.zip</c> would not make it data.</summary>
    public static string? ZipBasedDocument(string key) =>
        Path.GetExtension(key).ToLowerInvariant() switch
        {
            ".xlsx" or ".xlsm" or ".ods" => "a spreadsheet workbook",
            ".docx" or ".odt" or ".pptx" => "a document",
            _ => null,
        };

    /// <summary>A file's first four bytes (fewer when it is shorter).</summary>
    internal static byte[] Head(string path)
    {
        var head = new byte[4];
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        return head[..file.ReadAtLeast(head, 4, throwOnEndOfStream: false)];
    }

    /// <summary>The extension that names <paramref name="compression"/> ("gzip" → .gz, "zstd" → .zst, "zip" → .zip).</summary>
    public static string Extension(string compression) => compression switch { "gzip" => ".gz", "zip" => ".zip", _ => ".zst" };

    internal static SluiceException TooLarge(string name, long limit, long compressedSize, int maxRatio) =>
        new("source.inflate_limit",
            $"{name} inflates to more than {limit:N0} bytes ({maxRatio}× its {compressedSize:N0} compressed bytes, at least " +
            $"{LimitFloorBytes >> 20} MiB) and was stopped there as a likely decompression bomb. If the file is genuine, raise " +
            $"SLUICE_MAX_INFLATE_RATIO (now {maxRatio}; 0 turns the limit off) and run it again (a job: replay it from download).");
}
