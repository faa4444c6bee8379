using ZstdSharp;

namespace Sluice.Tests.Infrastructure;

/// <summary>Zstandard-compressed test inputs, one frame each, with a content checksum as the zstd tool writes them.</summary>
internal static class ZstdFiles
{
    public static byte[] Compress(byte[] content)
    {
        using var compressed = new MemoryStream();
        using (var zstd = new CompressionStream(compressed, level: 3, leaveOpen: true))
        {
            zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
            zstd.Write(content);
        }
        return compressed.ToArray();
    }
}
