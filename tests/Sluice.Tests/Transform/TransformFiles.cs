using Sluice.Pipelines;
using Sluice.Stages.Transform;

namespace Sluice.Tests.Transform;

/// <summary>A temporary directory holding one test's source file and artifact.</summary>
internal sealed class TransformFiles : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("sluice-transform-").FullName;

    public string Source => Path.Combine(Directory, "source.csv");

    public string Output => Path.Combine(Directory, "out");

    public string WriteSource(string text)
    {
        File.WriteAllText(Source, text);
        return Source;
    }

    public string WriteSource(byte[] bytes)
    {
        File.WriteAllBytes(Source, bytes);
        return Source;
    }

    public Task<TransformResult> Build(IReadOnlyList<ColumnDefinition>? schema, CsvOptions? csv = null, bool lineage = false) =>
        LoadArtifactBuilder.BuildAsync(new TransformRequest(Source, csv ?? CsvOptions.Default, schema, Output, Guid.NewGuid(), lineage), CancellationToken.None);

    /// <summary>The rejects file's data lines (header skipped).</summary>
    public string[] RejectLines(TransformResult result) => File.ReadAllText(result.RejectsPath).Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
