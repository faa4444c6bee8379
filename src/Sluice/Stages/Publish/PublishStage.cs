using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Errors;
using Sluice.Stages.Download;

namespace Sluice.Stages.Publish;

/// <summary>
/// Puts the source, the artifacts, the rejects and a job report into the output bucket under
/// <c>{pipeline}/{jobId}/</c>. The job may succeed only if its counts reconcile: read = loaded + rejected + filtered.
/// It also runs for a job that already failed, so that its rejects and report are published all the same.
/// </summary>
public sealed class PublishStage : IStage
{
    // One instance: options cache type metadata, and building them per call is costly.
    private static readonly JsonSerializerOptions ReportJson = new() { WriteIndented = true };

    public string Name => "publish";

    public async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        var job = context.Job;
        var view = await context.JobViewAsync(ct)
                   ?? throw new SluiceException("job.missing", $"job {job.Id} disappeared from the control plane.");
        var c = view.Counts;
        var failed = view.Status == "failed";
        if (!failed && !c.Reconciled)
            throw new SluiceException("reconcile.mismatch",
                $"counts do not reconcile: read {c.Read} ≠ loaded {c.Loaded} + rejected {c.Rejected} + filtered {c.Filtered}; " +
                "the job cannot succeed. Replay from transform to recount.");

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
        return new StageResult(new JsonObject { ["bucket"] = bucket, ["prefix"] = prefix, ["objects"] = published });
    }
}
