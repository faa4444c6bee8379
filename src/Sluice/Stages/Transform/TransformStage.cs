using System.Text.Json.Nodes;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Formats.Csv;
using Sluice.Postgres;
using Sluice.Pipelines;
using Sluice.Stages.Download;
using Sluice.Stages.Load;

namespace Sluice.Stages.Transform;

/// <summary>
/// Parses and types the downloaded file, sets bad rows aside, and writes the load artifact: <c>create.sql</c> (the DDL)
/// and <c>data.pgcopy</c> (the rows in PostgreSQL's binary COPY format), plus <c>rejects.csv</c>.
/// </summary>
public sealed class TransformStage : IStage
{
    public string Name => "transform";

    // A streamed load meets the target's refusals (a key already there) here.
    public Task<StageResult> RunAsync(StageContext context, CancellationToken ct) =>
        TargetStatements.ExplainingAsync(context, () => TransformAsync(context, ct));

    private async Task<StageResult> TransformAsync(StageContext context, CancellationToken ct)
    {
        var pipeline = context.Pipeline;
        var target = pipeline.Target ?? throw new SluiceException("pipeline.no_target", $"pipeline {pipeline.Name} has no target; add target.table.");
        var source = Path.Combine(context.Workspace.Path, "download", DownloadStage.DataFileName(context.Job.SourceKey));
        if (!File.Exists(source))
            throw new SluiceException("workspace.missing", $"the downloaded file {source} is missing; replay this job from download.");
        var chunk = context.Task.Chunk;
        var outDir = context.Workspace.ChunkFolder(Name, chunk);
        Directory.CreateDirectory(outDir);
        var streaming = StreamedLoad.Applies(context) && await StreamedLoad.ChunksUnderWayAsync(context, ct);
        StreamedLoad? streamed = null;
        try
        {
            TransformResult result;
            try
            {
                result = await LoadArtifactBuilder.BuildAsync(new TransformRequest(source, pipeline.Csv, pipeline.Schema, outDir,
                    context.Job.Id, IncludeLineageColumn: true, context.RowsProgress, ChunkOf(context, chunk),
                    streaming ? async (columns, c) => (streamed = await BeginStreamingAsync(context, columns, c))?.Rows : null,
                    SourceName: $"{context.Job.SourceBucket}/{context.Job.SourceKey}",
                    TableTypes: pipeline.Schema is null ? await TargetStatements.TableTypesAsync(context, target, ct) : null,
                    Format: Formats.DataFormatNames.TryParse(pipeline.SourceFormat, out var format) ? format : Formats.DataFormat.Csv,
                    KeyColumns: pipeline.Schema is null ? target.KeyColumns : null), ct);
            }
            catch (TransformException e)
            {
                throw new SluiceException(e.Code, e.Message, transient: false, e);
            }
            return await RecordAsync(context, target, outDir, result, streamed, ct);
        }
        finally
        {
            if (streamed is not null) await streamed.DisposeAsync();
        }
    }

    /// <summary>A streamed load, or none when the target cannot be reached now: the load stage then loads from the
    /// artifact, with its own retries, instead of transform failing for its target.</summary>
    private static async Task<StreamedLoad?> BeginStreamingAsync(StageContext context, IReadOnlyList<ColumnDefinition> columns, CancellationToken ct)
    {
        try
        {
            return await StreamedLoad.BeginAsync(context, columns, ct);
        }
        catch (Exception e) when (ErrorClassifier.Classify(e).Transient && !ct.IsCancellationRequested)
        {
            context.Warn($"cannot reach the target to load as the file is transformed ({e.Message}); the load stage will load it");
            return null;
        }
    }

    /// <summary>Writes the DDL and manifest, checks the rejects, and commits a streamed load when they are within limits.</summary>
    private static async Task<StageResult> RecordAsync(StageContext context, TargetDefinition target, string outDir, TransformResult result,
        StreamedLoad? streamed, CancellationToken ct)
    {
        var pipeline = context.Pipeline;
        var chunk = context.Task.Chunk;
        foreach (var n in result.Notes) context.Info(n);
        foreach (var w in result.Warnings) context.Warn(w);
        if (streamed is not null) await streamed.EndCopyAsync(result.Written);

        var ddlPath = Path.Combine(outDir, "create.sql");
        Storage.FreshFile.WriteAllText(ddlPath,
            TableDdl.CreateTableScript(target.Schema, target.Table, result.Columns, target.KeyColumns, includeLineageColumn: true));

        var columns = new JsonArray(result.Columns.Select(c => (JsonNode)new JsonObject
        {
            ["name"] = c.Name, ["type"] = c.Type.ToSql(), ["nullable"] = c.Nullable,
        }).ToArray());
        var outputs = new JsonObject
        {
            ["data"] = StageFiles.Describe(result.DataPath, result.DataSha256),
            ["ddl"] = await StageFiles.DescribeAsync(ddlPath, ct),
            ["rejects"] = await StageFiles.DescribeAsync(result.RejectsPath, ct),
            ["columns"] = columns,
            ["schema_inferred"] = pipeline.Schema is null,
            ["warnings"] = new JsonArray(result.Warnings.Select(w => (JsonNode)JsonValue.Create(w)!).ToArray()),
        };
        var manifest = new LoadManifest(result.Columns.Select(c => c.Name).Append(TableDdl.LineageColumn).ToList(), result.Written)
        {
            Types = result.Columns.Select(c => c.Type.ToSql()).ToList(),
        };
        var manifestPath = Path.Combine(outDir, LoadManifest.FileName);
        Storage.FreshFile.WriteAllText(manifestPath, manifest.ToJson());
        var of = chunk is { } c ? $" in chunk {c}" : "";
        context.Info($"read {result.Read:N0} rows{of}: {result.Written:N0} to load, {result.Rejected:N0} rejected, {result.Filtered:N0} filtered");
        var counts = new JobCounts(Read: result.Read, Rejected: result.Rejected, Filtered: result.Filtered);
        // Counted at once, before the stage is recorded: chunks loading as they transform wait on every chunk's count.
        if (chunk is { } index)
            await context.ControlPlane.ChunkTallies.RecordAsync(context.Job.Id, context.Job.Attempt, index, result.Read, result.Rejected, ct);
        // A chunk sees only its share: the whole job's limits are checked by the load once every chunk is counted;
        // a chunk over the row limit on its own fails the job at once.
        var allowed = chunk is null
            ? pipeline.Rejects.Allows(result.Rejected, result.Read)
            : result.Rejected == 0 || pipeline.Rejects.MaxRows is not { } maxRows || result.Rejected <= maxRows;
        if (!allowed)
        {
            return new StageResult(outputs, counts, chunk is { } over
                ? TooManyRejects(pipeline, result.Rejected, result.Read,
                    "the file's rejects.csv, published with the job's report (lines count in the whole file),", "transform",
                    $"chunk {over} alone has {result.Rejected:N0} rejected rows (of its {result.Read:N0}), more than pipeline {pipeline.Name} allows for the whole file")
                : TooManyRejects(pipeline, result.Rejected, result.Read, result.RejectsPath, "transform"));
        }
        if (streamed is not null && await streamed.CommitAsync(ct))
        {
            Storage.FreshFile.WriteAllText(manifestPath, (manifest with { Streamed = true }).ToJson());
            outputs["streamed_load"] = new JsonObject { ["table"] = PgIdentifier.QualifiedName(target.Schema, target.Table), ["rows"] = result.Written };
            // The load stage has only the ledger left to read.
            return new StageResult(outputs, counts, NextStageDone: true);
        }
        return new StageResult(outputs, counts);
    }

    /// <summary>The failure of a job with more rejected rows than its pipeline allows.</summary>
    /// <param name="counted">What was over the limit, when not the whole file's rows (a chunk's own).</param>
    internal static StageFailure TooManyRejects(Pipelines.Pipeline pipeline, long rejected, long read, string rejectsFile, string replayFrom,
        string? counted = null) =>
        new("rejects.threshold",
            $"{counted ?? $"{rejected:N0} of {read:N0} rows were rejected, more than pipeline {pipeline.Name} allows"} " +
            $"(rejects: max_rows {pipeline.Rejects.MaxRows?.ToString() ?? "none"}, max_ratio {pipeline.Rejects.MaxRatio?.ToString() ?? "none"}); " +
            $"see {rejectsFile} for each row's line and reason, fix the file or raise the threshold, then replay from {replayFrom}.");

    /// <summary>The part of the downloaded file this task reads: one chunk of the download stage's plan, or all of it.</summary>
    private static (long HeaderBytes, CsvChunk Chunk)? ChunkOf(StageContext context, int? chunk)
    {
        if (chunk is not { } index) return null;
        var planPath = Path.Combine(context.Workspace.Path, "download", CsvChunkPlan.FileName);
        if (!File.Exists(planPath))
            throw new SluiceException("workspace.missing", $"the chunk plan {planPath} is missing; replay this job from download.");
        var plan = CsvChunkPlan.Read(planPath);
        if (index >= plan.Chunks.Count)
            throw new SluiceException("chunk.unknown", $"chunk {index} is not in the plan {planPath} ({plan.Chunks.Count} chunks); replay this job from download.");
        return (plan.HeaderBytes, plan.Chunks[index]);
    }
}
