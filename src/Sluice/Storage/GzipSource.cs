using System.IO.Compression;
using System.IO.Hashing;
using Sluice.Errors;

namespace Sluice.Storage;

/// <summary>
/// Source files compressed with gzip: an object whose key ends in <c>.gz</c> (<c>payments.csv.gz</c>) is inflated by
/// the download stage into the file every later stage reads (<c>payments.csv</c>), streaming, hashed on the way, and
/// stopped past a limit (<see cref="CompressedSource"/>).
/// </summary>
public static class GzipSource
{
    /// <summary>What every gzip member starts with (RFC 1952): its magic bytes.</summary>
    private static ReadOnlySpan<byte> Signature => [0x1f, 0x8b];

    /// <summary>Whether the key names a gzip-compressed file (<c>.gz</c>, any case).</summary>
    public static bool IsGzipKey(string key) => key.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>The name of the file the stages after download read: the object's file name without <c>.gz</c>.</summary>
    public static string InflatedName(string fileName) =>
        IsGzipKey(fileName) ? fileName.Length > 3 ? fileName[..^3] : "inflated" : fileName;

    /// <summary>Whether <paramref name="head"/>, a file's first bytes, starts like a gzip member.</summary>
    public static bool StartsWithSignature(ReadOnlySpan<byte> head) => head.StartsWith(Signature);

    /// <summary>
    /// Inflates <paramref name="source"/> into <paramref name="target"/>, member by member (a file may hold several, as
    /// concatenated or block-compressed files do), hashing the inflated bytes as they are written. Every member's
    /// trailer is checked (its CRC-32 and length): a file cut short, or damaged, fails here instead of loading part of
    /// its rows (.NET's own gzip reader ends quietly where the bytes end).
    /// </summary>
    /// <param name="name">How messages name the file (its bucket and key).</param>
    /// <param name="maxRatio">How many times its own size the file may inflate to (<see cref="CompressedSource.Limit"/>); 0 for no limit.</param>
    /// <returns>The inflated size and its SHA-256 (lower-case hex).</returns>
    /// <exception cref="SluiceException"><c>source.not_gzip</c>, <c>source.gzip_corrupt</c> or <c>source.inflate_limit</c>.</exception>
    public static async Task<(long Size, string Sha256)> InflateAsync(string source, string target, string name, int maxRatio, CancellationToken ct)
    {
        var head = CompressedSource.Head(source);
        if (!StartsWithSignature(head))
            throw new SluiceException("source.not_gzip", CompressedSource.Misnamed(name, "gzip", "the gzip signature 1f 8b", head));
        var buffer = Blocks.Pool.Rent(Blocks.Size);
        try
        {
            await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: false);
            await using var output = new InflatedFile(target, name, input.Length, maxRatio);
            var crc = new Crc32();
            for (var member = 0L; member < input.Length;)
            {
                input.Position = member;
                if (member > 0 && !NextMemberFollows(input))
                {
                    if (TrailingZeros(input)) break;
                    throw Corrupt(name, member, input.Length, "bytes that are not a gzip member follow the last one");
                }
                var deflateStart = SkipHeader(input, name, member);
                crc.Reset();
                var memberSize = 0L;
                await using (var deflate = new DeflateStream(input, CompressionMode.Decompress, leaveOpen: true))
                {
                    int n;
                    while ((n = await ReadAsync(deflate, buffer, input, name, ct)) > 0)
                    {
                        memberSize += n;
                        await output.WriteAsync(buffer.AsMemory(0, n), ct);
                        crc.Append(buffer.AsSpan(0, n));
                    }
                }
                member = FindTrailer(input, deflateStart, crc.GetCurrentHashAsUInt32(), (uint)memberSize)
                         ?? throw Corrupt(name, input.Position, input.Length,
                             $"the gzip member that starts at byte {member:N0} ends without the checksum and length of the {memberSize:N0} bytes it inflated to");
            }
            return output.Complete();
        }
        finally
        {
            Blocks.Pool.Return(buffer);
        }
    }

    private static bool NextMemberFollows(FileStream input)
    {
        Span<byte> head = stackalloc byte[2];
        var at = input.Position;
        var read = input.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        input.Position = at;
        return read == 2 && head.SequenceEqual(Signature);
    }

    /// <summary>Zero bytes after the last member (padding some writers leave) are ignored, as gzip itself does.</summary>
    private static bool TrailingZeros(FileStream input)
    {
        int b;
        while ((b = input.ReadByte()) >= 0)
            if (b != 0) return false;
        return true;
    }

    /// <summary>Reads past a member's header (RFC 1952: ten bytes, then the optional extra field, name, comment and
    /// header checksum its flags announce); returns where its deflate data starts.</summary>
    private static long SkipHeader(FileStream input, string name, long member)
    {
        Span<byte> fixedPart = stackalloc byte[10];
        if (input.ReadAtLeast(fixedPart, 10, throwOnEndOfStream: false) < 10 || fixedPart[2] != 8 || (fixedPart[3] & 0xE0) != 0)
            throw Corrupt(name, member, input.Length, "its gzip header is incomplete or not of a deflate member");
        var flags = fixedPart[3];
        if ((flags & 0x04) != 0)
        {
            var low = input.ReadByte();
            var high = input.ReadByte();
            if (high < 0) throw Corrupt(name, input.Position, input.Length, "its gzip header is cut short");
            input.Seek(low | high << 8, SeekOrigin.Current);
        }
        foreach (var text in new[] { 0x08, 0x10 })
        {
            if ((flags & text) == 0) continue;
            int b;
            while ((b = input.ReadByte()) > 0) { }
            if (b < 0) throw Corrupt(name, input.Position, input.Length, "its gzip header is cut short");
        }
        if ((flags & 0x02) != 0) input.Seek(2, SeekOrigin.Current);
        if (input.Position >= input.Length) throw Corrupt(name, input.Position, input.Length, "its gzip header is cut short");
        return input.Position;
    }

    /// <summary>
    /// Where the member after the one just inflated starts: just past its trailer (CRC-32 and length, eight bytes),
    /// found near where its deflate data ended; null when it has none that matches what was inflated. The reader takes
    /// its input in blocks, so the deflate data ended somewhere in the last block it read: the trailer is looked for
    /// there (a match by chance is a one in 2^64 event).
    /// </summary>
    private static long? FindTrailer(FileStream input, long deflateStart, uint crc, uint length)
    {
        Span<byte> trailer = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer, crc);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], length);
        var end = Math.Min(input.Length, input.Position + 8);
        var from = Math.Max(deflateStart, end - (256 << 10));
        var block = Blocks.Pool.Rent(Blocks.Size);
        try
        {
            var window = block.AsSpan(0, (int)(end - from));
            RandomAccess.Read(input.SafeFileHandle, window, from);
            var at = window.IndexOf(trailer);
            return at < 0 ? null : from + at + 8;
        }
        finally
        {
            Blocks.Pool.Return(block);
        }
    }

    private static SluiceException Corrupt(string name, long at, long length, string what) =>
        new("source.gzip_corrupt",
            $"{name} is not valid gzip near compressed byte {at:N0} of {length:N0}: {what}. " +
            "The file is damaged or was cut short: put a complete copy in its place.");

    /// <summary>The next inflated block; deflate data that is not valid is named with how far into the file's
    /// compressed bytes the reading had come.</summary>
    private static async Task<int> ReadAsync(DeflateStream deflate, byte[] buffer, FileStream input, string name, CancellationToken ct)
    {
        try
        {
            return await deflate.ReadAsync(buffer.AsMemory(0, Blocks.Size), ct);
        }
        catch (InvalidDataException e)
        {
            throw Corrupt(name, input.Position, input.Length, e.Message.TrimEnd('.'));
        }
    }
}
