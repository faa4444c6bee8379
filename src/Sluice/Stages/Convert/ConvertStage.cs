using System.Text.Json.Nodes;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Formats;
using Sluice.Formats.Csv;
using Sluice.Pipelines;
using Sluice.Stages.Download;

namespace Sluice.Stages.Conversion; // not .Convert: that would hide System.Convert in every stage namespace

/// <summary>
/// Converts the downloaded file to the pipeline's target format (<c>convert/&lt;name&gt;.&lt;ext&gt;</c>), with
/// <c>rejects.csv</c> for records that cannot become rows and <c>convert.json</c> recording the schema used. Counts:
/// read, loaded (rows written) and rejected. A CSV source whose pipeline declares no dialect has it detected; a CSV target
/// is written in the target's own dialect (<see cref="ConvertTarget.Csv"/>), never the source's.
/// </summary>
public sealed class ConvertStage : IStage
{
    private const string RejectsFile = "rejects.csv";

    /// <inheritdoc />
    public string Name => "convert";

    /// <inheritdoc />
    public async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        var pipeline = context.Pipeline;
        var target = pipeline.Convert ?? throw new SluiceException("pipeline.no_target", $"pipeline {pipeline.Name} has no convert target; add target.format.");
        var fileName = DownloadStage.DataFileName(context.Job.SourceKey);
        var source = Path.Combine(context.Workspace.Path, "download", fileName);
        if (!File.Exists(source))
            throw new SluiceException("workspace.missing", $"the downloaded file {source} is missing; replay this job from download.");
        if (!DataFormatNames.TryParse(pipeline.SourceFormat, out var sourceFormat)) sourceFormat = DataFormat.Csv;

        // No dialect key in the pipeline (the options are a shared instance): detect it from the file; a "tsv" keeps its tab.
        var csv = sourceFormat == DataFormat.Csv && (ReferenceEquals(pipeline.Csv, CsvOptions.Default) || ReferenceEquals(pipeline.Csv, CsvOptions.Tab))
            ? CsvDialectSniffer.Detect(source, pipeline.Csv, keepDelimiter: ReferenceEquals(pipeline.Csv, CsvOptions.Tab))
            : pipeline.Csv;
        var outDir = context.Workspace.StageFolder(Name);
        var targetFile = Path.GetFileNameWithoutExtension(fileName) + target.Extension;
        // rejects.csv is this stage's own file and a published name: a source called rejects.jsonl must not become it.
        if (targetFile == RejectsFile) targetFile = "rejects.converted.csv";
        var targetPath = Path.Combine(outDir, targetFile);
        var rejectsPath = Path.Combine(outDir, RejectsFile);
        ConversionResult result;
        try
        {
            result = await Task.Run(() => FileConverter.ConvertAsync(
                source, new FileFormatOptions { Format = sourceFormat, Csv = csv, Schema = pipeline.Schema, ScratchFolder = outDir },
                targetPath, new FileFormatOptions { Format = target.Format, Compression = target.Compression, Csv = target.Csv },
                rejectsPath, context.RowsProgress, ct), ct);
        }
        catch (DataFileException e)
        {
            throw new SluiceException(e.Code, $"{fileName}: {e.Message}", transient: false, e);
        }
        foreach (var w in result.Warnings) context.Warn(w);
        Storage.FreshFile.WriteAllText(Path.Combine(outDir, ConvertManifest.FileName),
            new ConvertManifest(sourceFormat, target.Format, targetFile, csv, target.Csv, result.Columns).ToJson());

        var outputs = new JsonObject
        {
            ["target"] = await StageFiles.DescribeAsync(targetPath, ct),
            ["rejects"] = await StageFiles.DescribeAsync(rejectsPath, ct),
            ["format"] = DataFormatNames.Name(target.Format),
            ["columns"] = ConvertManifest.ColumnsJson(result.Columns),
            ["schema_inferred"] = pipeline.Schema is null,
            ["dialect"] = sourceFormat == DataFormat.Csv ? Dialect(csv) : null,
            ["target_dialect"] = target.Format == DataFormat.Csv ? Dialect(target.Csv) : null,
        };
        context.Info($"converted {result.Read:N0} rows to {DataFormatNames.Name(target.Format)}: {result.Written:N0} written, {result.Rejected:N0} rejected");
        var counts = new JobCounts(Read: result.Read, Loaded: result.Written, Rejected: result.Rejected, Filtered: 0);
        if (!pipeline.Rejects.Allows(result.Rejected, result.Read))
        {
            var first = result.FirstReject!;
            return new StageResult(outputs, counts, new StageFailure("rejects.threshold",
                $"{result.Rejected:N0} of {result.Read:N0} rows were rejected, more than pipeline {pipeline.Name} allows; the first at line {first.Line}" +
                $"{(first.Column is null ? "" : $", column '{first.Column}'")}: {first.Reason}. See rejects.csv for every row; fix the file or raise rejects, then replay from convert."));
        }
        return new StageResult(outputs, counts);
    }

    private static string Dialect(CsvOptions csv) =>
        $"delimiter {csv.Delimiter switch { '\t' => "tab", var d => d.ToString() }}, header {csv.Header}, {csv.Encoding}";
}
