namespace Sluice.Pipelines;

/// <summary>
/// Reads pipeline definitions from YAML and validates them completely: every problem of every file is
/// reported together, each as <c>file:line:col: key: message</c>, in one <see cref="PipelineException"/>.
/// </summary>
public static class PipelineLoader
{
    /// <summary>The environment variable naming the pipelines directory (mentioned in messages).</summary>
    public const string DirectoryVariable = "SLUICE_PIPELINES";

    /// <summary>
    /// Loads every <c>*.yaml</c> and <c>*.yml</c> file directly in <paramref name="dir"/> (not in
    /// subfolders; hidden files starting with '.' are skipped), in file name order. An empty
    /// directory gives an empty catalog.
    /// </summary>
    public static PipelineCatalog LoadDirectory(string dir)
    {
        if (!Directory.Exists(dir))
        {
            var problem = File.Exists(dir) ? "is a file, not a directory" : "does not exist";
            throw new PipelineException([new PipelineError(dir, 0, 0, "",
                $"pipelines directory {problem}; create it, or set {DirectoryVariable} to the folder holding your pipeline YAML files")]);
        }

        var files = Directory.EnumerateFiles(dir)
            .Where(f => Path.GetExtension(f) is ".yaml" or ".yml" && !Path.GetFileName(f).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .ToList();

        var errors = new List<PipelineError>();
        var pipelines = new List<LocatedPipeline>();
        foreach (var file in files)
        {
            var reader = new YamlNodeReader(file);
            if (ReadFile(file, reader) is { } text && Read(text, reader) is { } pipeline) pipelines.Add(pipeline);
            errors.AddRange(reader.Errors);
        }
        errors.AddRange(PipelineCatalog.FindConflicts(pipelines));
        if (errors.Count > 0) throw new PipelineException(errors);
        return new PipelineCatalog(pipelines);
    }

    /// <summary>Loads one pipeline file; errors name <paramref name="path"/> as given.</summary>
    public static Pipeline LoadFile(string path)
    {
        var reader = new YamlNodeReader(path);
        var text = ReadFile(path, reader);
        return Finish(text is null ? null : Read(text, reader), reader);
    }

    /// <summary>Parses one pipeline from <paramref name="yamlText"/>; <paramref name="fileName"/> is used in errors and as <see cref="Pipeline.SourceFile"/>.</summary>
    public static Pipeline Parse(string yamlText, string fileName)
    {
        var reader = new YamlNodeReader(fileName);
        return Finish(Read(yamlText, reader), reader);
    }

    /// <summary>
    /// A schema on its own (a <c>column: type</c> mapping, each column in the short or the mapping form), read as a
    /// pipeline's <c>schema:</c> is: for <c>sluice convert --schema</c>. Throws <see cref="PipelineException"/> with every
    /// problem, located in <paramref name="fileName"/>.
    /// </summary>
    public static IReadOnlyList<ColumnDefinition> ParseSchema(YamlDotNet.RepresentationModel.YamlNode node, string fileName)
    {
        var reader = new YamlNodeReader(fileName);
        var columns = new PipelineYamlReader(reader).SchemaOf(node);
        return reader.Errors.Count == 0 && columns is not null ? columns : throw new PipelineException(reader.Errors);
    }

    private const int MaxCached = 256;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string File, string Yaml), Pipeline> Parsed = new();

    /// <summary>
    /// <see cref="Parse"/>, remembering the result: every stage of every job parses the pipeline text recorded with the
    /// job, nearly always the same few texts, and parsing (YAML, glob compilation) costs more than the stage itself for
    /// small files. A <see cref="Pipeline"/> is immutable and parsing is a pure function of the text and the file name,
    /// so a remembered result is the result. Texts that fail to parse are not remembered.
    /// </summary>
    public static Pipeline ParseCached(string yamlText, string fileName)
    {
        if (Parsed.TryGetValue((fileName, yamlText), out var cached)) return cached;
        var pipeline = Parse(yamlText, fileName);
        if (Parsed.Count >= MaxCached) Parsed.Clear();
        Parsed[(fileName, yamlText)] = pipeline;
        return pipeline;
    }

    private static Pipeline Finish(LocatedPipeline? pipeline, YamlNodeReader reader) =>
        reader.Errors.Count == 0 && pipeline is not null
            ? pipeline.Pipeline
            : throw new PipelineException(reader.Errors);

    private static LocatedPipeline? Read(string text, YamlNodeReader reader) =>
        YamlPipelineDocument.Load(text, reader) is { } root ? new PipelineYamlReader(reader).Read(root) : null;

    private static string? ReadFile(string path, YamlNodeReader reader)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reader.Errors.Add(new PipelineError(path, 0, 0, "", $"cannot read the file: {e.Message}"));
            return null;
        }
    }
}
