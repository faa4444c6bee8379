using Sluice.Formats;
using Sluice.Pipelines;
using Sluice.Stages.Conversion;

namespace Sluice.Tests.Formats;

/// <summary>A temporary folder for one test's files, and conversions between them with one declared schema.</summary>
internal sealed class ScratchFiles(IReadOnlyList<ColumnDefinition> schema) : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("sluice-scratch-").FullName;

    /// <summary>The path of <paramref name="name"/> in the folder.</summary>
    public string Path(string name) => System.IO.Path.Combine(Dir, name);

    /// <summary>Writes <paramref name="text"/> to <paramref name="name"/> and returns its path.</summary>
    public string Write(string name, string text)
    {
        var path = Path(name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Converts with the schema on both sides; no record may be rejected.</summary>
    public async Task ConvertAsync(string from, DataFormat fromFormat, string to, DataFormat toFormat)
    {
        var result = await FileConverter.ConvertAsync(from, new FileFormatOptions { Format = fromFormat, Schema = schema }, to,
            new FileFormatOptions { Format = toFormat, Schema = schema }, to + ".rejects.csv", null, CancellationToken.None);
        Assert.True(result.Rejected == 0, $"{result.FirstReject}");
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
