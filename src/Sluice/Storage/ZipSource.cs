using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using Sluice.Errors;

namespace Sluice.Storage;

/// <summary>
/// Zip archives holding one file: an object whose key ends in <c>.zip</c> is extracted by the download stage into the
/// file every later stage reads (<c>payments.csv.zip</c> → <c>payments.csv</c>, <c>payments.zip</c> → <c>payments</c>),
/// streaming, hashed on the way and stopped past the same limit as gzip (<see cref="CompressedSource.Limit"/>).
/// Folders and the metadata macOS and Windows add (<c>__MACOSX/</c>, <c>._*</c>, <c>.DS_Store</c>, <c>Thumbs.db</c>)
/// are passed over; any other second file is refused, since a job is one file. Entry names are only ever shown, never
/// used as paths. The entry's CRC-32 and length are checked (.NET's reader checks neither).
/// </summary>
public static class ZipSource
{
    /// <summary>What a zip archive starts with: a local file header, or, for an empty archive, its end record.</summary>
    private static ReadOnlySpan<byte> Signature => [0x50, 0x4B, 0x03, 0x04];
    private static ReadOnlySpan<byte> EmptySignature => [0x50, 0x4B, 0x05, 0x06];

    /// <summary>A central directory larger than this is refused before it is read: .NET reads every entry of it into
    /// memory, and a small archive of empty entries could hold millions (about 20,000 entries fit in it).</summary>
    public const long MaxDirectoryBytes = 1 << 20;

    /// <summary>How many names a message lists.</summary>
    private const int NamesShown = 5;

    /// <summary>Whether the key names a zip archive (<c>.zip</c>, any case).</summary>
    public static bool IsZipKey(string key) => key.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);

    /// <summary>The name of the file the stages after download read: the object's file name without <c>.zip</c>.</summary>
    public static string InflatedName(string fileName) =>
        IsZipKey(fileName) ? fileName.Length > 4 ? fileName[..^4] : "inflated" : fileName;

    /// <summary>Whether <paramref name="head"/>, a file's first bytes, starts like a zip archive.</summary>
    public static bool StartsWithSignature(ReadOnlySpan<byte> head) => head.StartsWith(Signature) || head.StartsWith(EmptySignature);

    /// <summary>Extracts the archive's one file from <paramref name="source"/> into <paramref name="target"/>.</summary>
    /// <param name="name">How messages name the archive (its bucket and key).</param>
    /// <param name="maxRatio">How many times its own size the file may grow to (<see cref="CompressedSource.Limit"/>); 0 for no limit.</param>
    /// <returns>The extracted size, its SHA-256 (lower-case hex), and the entry's name inside the archive (printable).</returns>
    /// <exception cref="SluiceException"><c>source.not_zip</c>, <c>source.zip_corrupt</c>, <c>source.zip_entries</c>,
    /// <c>source.zip_encrypted</c>, <c>source.zip_method</c> or <c>source.inflate_limit</c>.</exception>
    public static async Task<(long Size, string Sha256, string Entry)> InflateAsync(string source, string target, string name, int maxRatio,
        CancellationToken ct)
    {
        var head = CompressedSource.Head(source);
        if (!StartsWithSignature(head))
            throw new SluiceException("source.not_zip", CompressedSource.Misnamed(name, "zip", "the zip signature 50 4b 03 04", head));
        await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: false);
        if (DirectoryBytes(input) is { } directory && directory > MaxDirectoryBytes)
            throw new SluiceException("source.zip_entries",
                $"{name} lists more entries than Sluice reads ({directory:N0} bytes of names, more than {MaxDirectoryBytes:N0}); " +
                "Sluice reads one file from an archive: send the file on its own, or zipped alone.");
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(input, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw Corrupt(name, e.Message);
        }
        using (archive)
        {
            var entry = TheFile(archive, name);
            var shown = Storage.ObjectKey.Printable(entry.FullName);
            if (entry.IsEncrypted)
                throw new SluiceException("source.zip_encrypted",
                    $"{name} holds {shown} encrypted (password-protected), which Sluice cannot read; zip it again without a password.");
            var (size, sha) = await ExtractAsync(entry, shown, target, name, input.Length, maxRatio, ct);
            return (size, sha, shown);
        }
    }

    private static async Task<(long Size, string Sha256)> ExtractAsync(ZipArchiveEntry entry, string shown, string target, string name,
        long archiveSize, int maxRatio, CancellationToken ct)
    {
        Stream content;
        try
        {
            content = entry.Open();
        }
        catch (InvalidDataException e)
        {
            throw new SluiceException("source.zip_method",
                $"{name} holds {shown} compressed in a way Sluice cannot read ({e.Message.TrimEnd('.')}); zip it again with the " +
                "standard method (Deflate, what zip writes by default) or without compression.");
        }
        var buffer = Blocks.Pool.Rent(Blocks.Size);
        try
        {
            await using (content)
            await using (var output = new InflatedFile(target, name, archiveSize, maxRatio))
            {
                var crc = new Crc32();
                while (true)
                {
                    int n;
                    try
                    {
                        n = await content.ReadAsync(buffer.AsMemory(0, Blocks.Size), ct);
                    }
                    catch (InvalidDataException e)
                    {
                        throw Corrupt(name, $"{shown} breaks off after {output.Size:N0} bytes: {e.Message.TrimEnd('.')}");
                    }
                    if (n == 0) break;
                    crc.Append(buffer.AsSpan(0, n));
                    await output.WriteAsync(buffer.AsMemory(0, n), ct);
                }
                if (output.Size != entry.Length || crc.GetCurrentHashAsUInt32() != entry.Crc32)
                    throw Corrupt(name, $"{shown} extracts to {output.Size:N0} bytes with CRC-32 {crc.GetCurrentHashAsUInt32():x8}, " +
                                        $"where the archive records {entry.Length:N0} bytes with CRC-32 {entry.Crc32:x8}");
                return output.Complete();
            }
        }
        finally
        {
            Blocks.Pool.Return(buffer);
        }
    }

    /// <summary>The one file of the archive, passing over folders and the metadata archivers add.</summary>
    private static ZipArchiveEntry TheFile(ZipArchive archive, string name)
    {
        var files = archive.Entries.Where(e => !IsMetadata(e.FullName)).ToList();
        if (files.Count == 1) return files[0];
        if (files.Count == 0)
            throw new SluiceException("source.zip_entries",
                $"{name} holds no file{(archive.Entries.Count > 0 ? " (only folders or archiver metadata)" : "")}; put the archive with its file in its place.");
        var names = string.Join(", ", files.Take(NamesShown).Select(e => Storage.ObjectKey.Printable(e.FullName)));
        throw new SluiceException("source.zip_entries",
            $"{name} holds {files.Count:N0} files ({names}{(files.Count > NamesShown ? ", …" : "")}); Sluice reads one file from an " +
            "archive: send each file on its own (zipped alone, if you like), and each gets its own job.");
    }

    /// <summary>Folders, and what macOS (<c>__MACOSX/</c>, <c>._name</c>, <c>.DS_Store</c>) and Windows (<c>Thumbs.db</c>,
    /// <c>desktop.ini</c>) put in archives beside the files.</summary>
    internal static bool IsMetadata(string fullName)
    {
        if (fullName.EndsWith('/') || fullName.EndsWith('\\')) return true;
        if (fullName.StartsWith("__MACOSX/", StringComparison.Ordinal)) return true;
        var last = fullName[(fullName.LastIndexOfAny(['/', '\\']) + 1)..];
        return last.StartsWith("._", StringComparison.Ordinal)
               || last is ".DS_Store" || last.Equals("Thumbs.db", StringComparison.OrdinalIgnoreCase)
               || last.Equals("desktop.ini", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The size of the central directory, from the archive's end record (the last 22 bytes, or up to 64 KiB more when
    /// the archive has a comment), and from its Zip64 record when the end record defers to it; null when no end record
    /// is found (the archive's reader then says it is damaged).
    /// </summary>
    internal static long? DirectoryBytes(FileStream input)
    {
        const int endRecord = 22, zip64Locator = 20;
        var tail = new byte[(int)Math.Min(input.Length, endRecord + ushort.MaxValue + zip64Locator)];
        input.Position = input.Length - tail.Length;
        input.ReadExactly(tail);
        for (var at = tail.Length - endRecord; at >= 0; at--)
        {
            if (!tail.AsSpan(at).StartsWith(EmptySignature)) continue;
            var size = BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(at + 12));
            input.Position = 0;
            if (size != uint.MaxValue) return size;
            // Zip64: the locator just before the end record gives where the Zip64 end record is; its directory size is at 40.
            if (at < zip64Locator || BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(at - zip64Locator)) != 0x07064B50) return null;
            var recordAt = BinaryPrimitives.ReadInt64LittleEndian(tail.AsSpan(at - zip64Locator + 8));
            if (recordAt < 0 || recordAt > input.Length - 56) return null;
            var record = new byte[56];
            input.Position = recordAt;
            input.ReadExactly(record);
            input.Position = 0;
            return BinaryPrimitives.ReadUInt32LittleEndian(record) == 0x06064B50 ? BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(40)) : null;
        }
        input.Position = 0;
        return null;
    }

    private static SluiceException Corrupt(string name, string detail) =>
        new("source.zip_corrupt", $"{name} is not a readable zip archive: {detail.TrimEnd('.')}. The file is damaged or was cut short: put a complete copy in its place.");
}
