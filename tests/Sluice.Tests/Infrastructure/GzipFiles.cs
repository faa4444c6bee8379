using System.IO.Compression;

namespace Sluice.Tests.Infrastructure;

/// <summary>gzip-compressed test inputs, as .NET writes them (one member, a ten-byte header).</summary>
internal static class GzipFiles
{
    public static byte[] Compress(byte[] content)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(content);
        return compressed.ToArray();
    }

    /// <summary>Replaces <paramref name="path"/> by <paramref name="gzPath"/> (default: the same name with <c>.gz</c>),
    /// its content compressed; returns the compressed file's path.</summary>
    public static string CompressFile(string path, string? gzPath = null)
    {
        gzPath ??= path + ".gz";
        using (var input = File.OpenRead(path))
        using (var gzip = new GZipStream(File.Create(gzPath), CompressionLevel.Optimal))
            input.CopyTo(gzip);
        File.Delete(path);
        return gzPath;
    }
}
