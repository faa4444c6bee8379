using System.Buffers.Binary;
using System.IO.Compression;

namespace Sluice.Tests.Infrastructure;

/// <summary>Zip archives for tests, as .NET writes them (Deflate, or stored without compression), and the header fields
/// tests change to make archives .NET cannot write: another compression method, the encryption flag.</summary>
internal static class ZipFiles
{
    public static byte[] Archive(params (string Name, byte[] Content)[] entries) => Archive(CompressionLevel.Optimal, entries);

    public static byte[] Archive(CompressionLevel level, params (string Name, byte[] Content)[] entries)
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var entry = archive.CreateEntry(name, level).Open();
                entry.Write(content);
            }
        }
        return zip.ToArray();
    }

    /// <summary>Sets a 16-bit field of the first entry, in its local header and in the central directory.</summary>
    /// <param name="localOffset">Where the field is in the local header (the central directory's is 2 bytes further on).</param>
    public static byte[] WithFirstEntryField(byte[] zip, int localOffset, ushort value)
    {
        var patched = zip.ToArray();
        BinaryPrimitives.WriteUInt16LittleEndian(patched.AsSpan(localOffset), value);
        var central = patched.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x50, 0x4B, 0x01, 0x02]);
        BinaryPrimitives.WriteUInt16LittleEndian(patched.AsSpan(central + localOffset + 2), value);
        return patched;
    }

    /// <summary>Where the general purpose flags are in a local header (bit 0: encrypted).</summary>
    public const int FlagsOffset = 6;

    /// <summary>Where the compression method is in a local header (0 stored, 8 Deflate, 12 bzip2).</summary>
    public const int MethodOffset = 8;
}
