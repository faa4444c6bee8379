using System.Text.Json.Nodes;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Postgres;
using Sluice.Stages.Download;

namespace Sluice.Stages.Transform;

/// <summary>
/// Parses and types the downloaded file, sets bad rows aside, and writes the load artifact: <c>create.sql</c> (the DDL)
/// and <c>data.pgcopy</c> (the rows in PostgreSQL's binary COPY format), plus <c>rejects.csv</c>.
/// </summary>
public sealed class TransformStage : IStage
{
    public string Name => "transform";

    public async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        var pipeline = context.Pipeline;
        var target = pipeline.Target ?? throw new SluiceException("pipeline.no_target", $"pipeline {pipeline.Name} has no target; add target.table.");
        var source = Path.Combine(context.Workspace.Path, "download", DownloadStage.SafeFileName(context.Job.SourceKey));
        if (!File.Exists(source))
            throw new SluiceException("workspace.missing", $"the downloaded file {source} is missing; replay this job from download.");
        var outDir = context.Workspace.StageFolder(Name);
        TransformResult result;
        try
        {
            result = await LoadArtifactBuilder.BuildAsync(new TransformRequest(source, pipeline.Csv, pipeline.Schema, outDir,
                context.Job.Id, IncludeLineageColumn: true, context.RowsProgress), ct);
        }
        catch (TransformException e)
        {
            throw new SluiceException(e.Code, e.Message, transient: false, e);
        }
        foreach (var w in result.Warnings) context.Warn(w);

        var ddlPath = Path.Combine(outDir, "create.sql");
        await File.WriteAllTextAsync(ddlPath,
            TableDdl.CreateTableScript(target.Schema, target.Table, result.Columns, target.KeyColumns, includeLineageColumn: true), ct);

        var columns = new JsonArray(result.Columns.Select(c => (JsonNode)new JsonObject
        {
            ["name"] = c.Name, ["type"] = c.Type.ToSql(), ["nullable"] = c.Nullable,
        }).ToArray());
        var outputs = new JsonObject
        {
            ["data"] = await StageFiles.DescribeAsync(result.DataPath, ct),
            ["ddl"] = await StageFiles.DescribeAsync(ddlPath, ct),
            ["rejects"] = await StageFiles.DescribeAsync(result.RejectsPath, ct),
            ["columns"] = columns,
            ["schema_inferred"] = pipeline.Schema is null,
            ["warnings"] = new JsonArray(result.Warnings.Select(w => (JsonNode)JsonValue.Create(w)!).ToArray()),
        };
        await File.WriteAllTextAsync(Path.Combine(outDir, LoadManifest.FileName), new LoadManifest(
            result.Columns.Select(c => c.Name).Append(TableDdl.LineageColumn).ToList(), result.Written).ToJson(), ct);
        context.Info($"read {result.Read:N0} rows: {result.Written:N0} to load, {result.Rejected:N0} rejected, {result.Filtered:N0} filtered");
        var counts = new JobCounts(Read: result.Read, Rejected: result.Rejected, Filtered: result.Filtered);
        if (!pipeline.Rejects.Allows(result.Rejected, result.Read))
        {
            return new StageResult(outputs, counts, new StageFailure("rejects.threshold",
                $"{result.Rejected:N0} of {result.Read:N0} rows were rejected, more than pipeline {pipeline.Name} allows " +
                $"(rejects: max_rows {pipeline.Rejects.MaxRows?.ToString() ?? "none"}, max_ratio {pipeline.Rejects.MaxRatio?.ToString() ?? "none"}); " +
                $"see {result.RejectsPath} for each row's line and reason, fix the file or raise the threshold, then replay from transform."));
        }
        return new StageResult(outputs, counts);
    }
}
