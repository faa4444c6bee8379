using System.Text;

namespace Sluice.Tests.Storage;

/// <summary>CSV-like lines to compress: repetitive enough to shrink as real files do, different for each seed.</summary>
internal static class CompressibleText
{
    public static byte[] Lines(int seed, int lines)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        for (var i = 0; i < lines; i++) text.Append(i).Append(',').Append(random.Next(1000)).Append('.').Append(random.Next(100)).Append(",EUR\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }
}
