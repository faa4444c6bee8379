using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Pipelines;
using Sluice.Stages.Download;
using Sluice.Stages.Load;

namespace Sluice.Stages.Publish;

/// <summary>
/// Puts the source, the artifacts, the rejects and a job report into the output bucket under
/// <c>{pipeline}/{jobId}/</c>. The job may succeed only if its counts reconcile: read = loaded + rejected + filtered.
/// It also runs for a job that already failed, so that its rejects and report are published all the same.
/// </summary>
public sealed class PublishStage : IStage
{
    // One instance: options cache type metadata, and building them per call is costly.
    private static readonly JsonSerializerOptions ReportJson = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string Name => "publish";

    public async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        var job = context.Job;
        var view = await context.JobViewAsync(ct)
                   ?? throw new SluiceException("job.missing", $"job {job.Id} disappeared from the control plane.");
        var failed = view.Status == "failed";
        JobCounts? recount = null;
        if (failed && view.Chunks is not null && context.Pipeline.Target is { } target && await RowsInTargetAsync(context, target, view, ct) is { } inTarget)
        {
            recount = new JobCounts(Loaded: inTarget);
            view = view with { Counts = view.Counts with { Loaded = inTarget } };
        }
        var c = view.Counts;
        if (!failed && !c.Reconciled)
            throw new SluiceException("reconcile.mismatch",
                $"counts do not reconcile: read {c.Read} ≠ loaded {c.Loaded} + rejected {c.Rejected} + filtered {c.Filtered}; " +
                $"the job cannot succeed. Replay from {Workflows.WorkflowDefinition.For(job.Workflow).After("download")} to recount.");

        var bucket = context.Pipeline.OutputBucket;
        var prefix = $"{context.Pipeline.Name}/{job.Id}/";
        var published = new JsonArray();
        async Task Put(string key, string file)
        {
            if (!File.Exists(file)) return;
            await context.Buckets.PutFileAsync(bucket, prefix + key, file, ct);
            published.Add(prefix + key);
        }
        var ws = context.Workspace.Path;
        await Put("source/" + DownloadStage.SafeFileName(job.SourceKey), Path.Combine(ws, "download", DownloadStage.SafeFileName(job.SourceKey)));
        if (job.Workflow == "convert")
        {
            await Conversion.ConvertOutputs.PublishAsync(ws, failed, Put, ct);
        }
        else if (view.Chunks is { } chunks)
        {
            var folders = Enumerable.Range(0, chunks).Select(i => context.Workspace.ChunkFolder("transform", i)).ToList();
            await Put("artifacts/create.sql", Path.Combine(folders[0], "create.sql"));
            await Put("artifacts/chunks.json", Path.Combine(ws, "download", Formats.Csv.CsvChunkPlan.FileName));
            for (var i = 0; i < chunks && !failed; i++)
                await Put($"artifacts/chunk-{i:D4}/data.pgcopy", Path.Combine(folders[i], "data.pgcopy"));
            var rejects = Path.Combine(context.Workspace.StageFolder("transform"), "rejects.csv");
            // Only chunks whose latest transform ended (a replay from load keeps the earlier attempt's), as the job's
            // counts: a chunk stopped because another failed the job may still be writing its rejects, and is in no count.
            var ended = view.Stages.Where(s => s is { Name: "transform", Chunk: not null }).GroupBy(s => s.Chunk!.Value)
                .Where(g => g.Last().Status is "succeeded" or "failed").Select(g => g.Key).ToHashSet();
            await Transform.RejectFileWriter.CombineAsync(
                folders.Where((_, i) => ended.Contains(i)).Select(f => Path.Combine(f, "rejects.csv")), rejects, ct);
            await Put("rejects.csv", rejects);
        }
        else
        {
            await Put("artifacts/create.sql", Path.Combine(ws, "transform", "create.sql"));
            if (!failed) await Put("artifacts/data.pgcopy", Path.Combine(ws, "transform", "data.pgcopy"));
            await Put("rejects.csv", Path.Combine(ws, "transform", "rejects.csv"));
        }

        // The report shows the outcome this stage decides: succeeded, unless the job already failed.
        var report = JsonSerializer.Serialize(failed ? view : view with { Status = "succeeded" }, ReportJson);
        await context.Buckets.PutTextAsync(bucket, prefix + "report.json", report, ct);
        published.Add(prefix + "report.json");
        context.Info($"published {published.Count} objects to {bucket}/{prefix}");
        return new StageResult(new JsonObject { ["bucket"] = bucket, ["prefix"] = prefix, ["objects"] = published }, recount);
    }

    /// <summary>
    /// For a split file whose job failed: the rows its chunks left in the target, by the load ledger, when that differs
    /// from the count the chunks recorded (a chunk stopped by another's failure may have committed just before; staged
    /// chunks never reached the target). Null when they agree, or when the ledger cannot be read now (the recorded count
    /// stands, with a warning): the job already failed, and its report and rejects are still published.
    /// </summary>
    private static async Task<long?> RowsInTargetAsync(StageContext context, TargetDefinition target, JobView view, CancellationToken ct)
    {
        try
        {
            var rows = await ChunkedLoad.RowsInTargetAsync(context, target, ct);
            if (rows == (view.Counts.Loaded ?? 0)) return null;
            context.Info($"the load ledger shows {rows:N0} rows of this attempt in the target (the chunks recorded {view.Counts.Loaded ?? 0:N0}): " +
                         "counted as loaded");
            return rows;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            context.Warn($"cannot read the load ledger to count the rows this failed job left in the target ({e.Message}); " +
                         "the loaded count is what its chunks recorded");
            return null;
        }
    }
}
