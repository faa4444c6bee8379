using System.Text.Json.Nodes;
using Sluice.Errors;
using Sluice.Formats.Csv;
using Sluice.Pipelines;
using Sluice.Stages.Load;
using Sluice.Storage;

namespace Sluice.Stages.Download;

/// <summary>
/// Copies the source object into the job workspace, hashing it on the way: the bytes every later stage reads are
/// exactly the bytes that arrived, or the job stops here. A file the receive stage already copied into the workspace
/// in this process (hashing it as it copied, see <see cref="ReceivedCopies"/>) is taken as it is.
/// </summary>
public sealed class DownloadStage : IStage
{
    public string Name => "download";

    public async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        var job = context.Job;
        // Not created here: a copy made on arrival is in it already; the folder is made below for a copy of this stage's own.
        var target = Path.Combine(context.Workspace.ChunkFolder(Name, null), SafeFileName(job.SourceKey));
        if (TakeReceivedCopy(context, target) is { } received)
        {
            context.Info($"took the {received.Size:N0} bytes of {job.SourceBucket}/{job.SourceKey} copied on arrival");
            return await ResultAsync(context, target, received.Size, received.Sha256, received.Plan, receivedCopy: true, ct);
        }
        var source = context.Buckets.ObjectPath(job.SourceBucket, job.SourceKey);
        if (!File.Exists(source))
            throw new SluiceException("source.missing",
                $"object '{job.SourceKey}' is no longer in bucket '{job.SourceBucket}' ({source}); put it back and replay from download.");
        context.Workspace.StageFolder(Name);
        var planner = PlannerFor(job.Workflow, context.Pipeline, job.SourceKey, job.SourceSize);
        // Copied beside the job's copy and put in its place only once its checksum proves it the job's content: an
        // object changed since (a replay of an old job) must not overwrite the copy a replay from transform can still use.
        // Named for this run: a worker that stalled and a worker that took its task over must not share the name.
        var copying = Path.Combine(Path.GetDirectoryName(target)!, $".{Guid.NewGuid():N}.copying");
        long size;
        string sha;
        try
        {
            (size, sha) = await HashedCopy.CopyAsync(source, copying, job.SourceSize, planner is null ? null : planner.Append, ct);
            if (sha == job.SourceSha256) File.Move(copying, target, overwrite: true);
        }
        finally
        {
            File.Delete(copying);
        }
        // The stage that reads the job's copy: transform for the Loader, convert for the File Convertor.
        var next = Workflows.WorkflowDefinition.For(job.Workflow).After(Name);
        if (sha != job.SourceSha256)
            throw new SluiceException("source.changed",
                $"object '{job.SourceKey}' in bucket '{job.SourceBucket}' changed after it arrived (sha256 {job.SourceSha256[..12]}… now {sha[..12]}…); " +
                "the new content gets a job of its own, this one stops." +
                (File.Exists(target) ? $" This job's own copy is still in its workspace: to run it again, replay from {next} (./sluice replay {job.Id} --from {next})." : ""));
        context.Info($"downloaded {size:N0} bytes from {job.SourceBucket}/{job.SourceKey}");
        return await ResultAsync(context, target, size, sha, planner?.Complete(), receivedCopy: false, ct);
    }

    /// <summary>
    /// The copy the receive stage made of this job's file in this process (<see cref="ReceivedCopies"/>), when it is
    /// where this stage would write its own, whole, and of the content the job was recorded with; only on the job's
    /// first attempt and this stage's first try (a replay or a retry copies the object again).
    /// </summary>
    private static ReceivedCopies.Copy? TakeReceivedCopy(StageContext context, string target)
    {
        if (context.Job.Attempt != 1 || context.Task is not { Try: 1, TookOver: false }) return null;
        var copy = ReceivedCopies.Take(context.Job.Id);
        if (copy is null || copy.Path != target || copy.Sha256 != context.Job.SourceSha256 || copy.Size != context.Job.SourceSize) return null;
        var file = new FileInfo(target);
        return file.Exists && file.Length == copy.Size ? copy : null;
    }

    private static async Task<StageResult> ResultAsync(StageContext context, string target, long size, string sha, CsvChunkPlan? plan,
        bool receivedCopy, CancellationToken ct)
    {
        var job = context.Job;
        var outputs = new JsonObject
        {
            ["file"] = new JsonObject { ["path"] = target, ["size"] = size, ["sha256"] = sha },
            ["copied_on_arrival"] = receivedCopy,
        };
        if (CompressedSource.CompressionOf(job.SourceKey) is { } compression)
        {
            // The stages after this one read the decompressed file ("file"); the compressed copy stays beside it, as the source.
            outputs["compressed"] = outputs["file"]!.DeepClone();
            var inflated = Path.Combine(Path.GetDirectoryName(target)!, CompressedSource.InflatedName(Path.GetFileName(target)));
            string? entry;
            (size, sha, entry) = await CompressedSource.InflateAsync(job.SourceKey, target, inflated, $"{job.SourceBucket}/{job.SourceKey}",
                context.Settings.MaxInflateRatio, ct);
            outputs["file"] = new JsonObject { ["path"] = inflated, ["size"] = size, ["sha256"] = sha };
            if (entry is not null) outputs["entry"] = entry;
            context.Info(entry is null
                ? $"inflated {new FileInfo(target).Length:N0} {compression}-compressed bytes to {size:N0} bytes ({Path.GetFileName(inflated)})"
                : $"extracted {entry} ({size:N0} bytes) from the {new FileInfo(target).Length:N0}-byte zip archive, as {Path.GetFileName(inflated)}");
            CompressedSource.RefuseIfCompressedAgain(inflated, $"object '{job.SourceKey}' in bucket '{job.SourceBucket}'");
            plan = await PlanInflatedAsync(job.Workflow, context.Pipeline, inflated, size, ct);
        }
        else if (CompressedSource.SignatureOf(target) is { } unnamed)
        {
            if (unnamed == "zip" && CompressedSource.ZipBasedDocument(job.SourceKey) is { } document)
                throw new SluiceException("source.compressed",
                    $"object '{job.SourceKey}' in bucket '{job.SourceBucket}' is {document}, which Sluice does not read; export it as CSV " +
                    "(or Parquet) and put that in the bucket instead.");
            var extension = CompressedSource.Extension(unnamed);
            throw new SluiceException("source.compressed",
                $"object '{job.SourceKey}' in bucket '{job.SourceBucket}' is {unnamed}-compressed but its name does not end in {extension}; " +
                $"put it under a name ending in {extension} ({SafeFileName(job.SourceKey)}{extension}, matched by the pipeline) and Sluice decompresses it.");
        }
        if (plan is null || plan.Chunks.Count == 1) return new StageResult(outputs, Chunks: 1);
        var split = job with { Chunks = plan.Chunks.Count };
        var spread = ChunkedLoad.IsSpread(split, context.Pipeline);
        if (spread && context.IdleWorkers?.Invoke() is { } idle && idle < plan.Chunks.Count - 1)
        {
            // Spread only to be shared with idle workers: with none free for the other chunks, the first would wait for
            // them to be claimed and then load from its artifact, slower than the file whole.
            context.Info($"{idle} other worker(s) free for a file that could be spread over {plan.Chunks.Count} cores: processed whole");
            return new StageResult(outputs, Chunks: 1);
        }
        var planPath = Path.Combine(context.Workspace.StageFolder("download"), CsvChunkPlan.FileName);
        Storage.FreshFile.WriteAllText(planPath, plan.ToJson());
        var described = await StageFiles.DescribeAsync(planPath, ct);
        described["count"] = plan.Chunks.Count;
        outputs["chunks"] = described;
        context.Info((spread
                         ? $"spread over {plan.Chunks.Count} cores in chunks of about {(size + plan.Chunks.Count - 1) / plan.Chunks.Count:N0} bytes (chunk.spread), "
                         : $"split into {plan.Chunks.Count} chunks of up to {context.Pipeline.Chunk.Rows:N0} rows / {context.Pipeline.Chunk.Bytes:N0} bytes, ") +
                     (ChunkedLoad.LoadsInOrder(split, context.Pipeline)
                         ? "transformed in parallel, then loaded one at a time in file order (keyed_loads: in_order)"
                         : "transformed and loaded in parallel"));
        return new StageResult(outputs, Chunks: plan.Chunks.Count);
    }

    /// <summary>
    /// A chunk planner when this job's file may need splitting: a load job whose CSV is larger than one chunk could
    /// be (a file of n bytes holds at most n records), or one spread over the cores (<see cref="ChunkPolicy.SpreadWays"/>).
    /// Small files are not scanned at all, nor compressed ones as they are copied: they are planned once inflated.
    /// </summary>
    public static CsvChunkPlanner? PlannerFor(string workflow, Pipelines.Pipeline pipeline, string key, long sourceSize) =>
        CompressedSource.IsCompressedKey(key) ? null : PlannerForSize(workflow, pipeline, sourceSize);

    private static CsvChunkPlanner? PlannerForSize(string workflow, Pipelines.Pipeline pipeline, long sourceSize)
    {
        if (workflow != "load" || pipeline.SourceFormat != "csv" || !pipeline.Chunk.Enabled || !CsvChunkPlanner.CanPlan(pipeline.Csv))
            return null;
        var policy = pipeline.Chunk.For(sourceSize, ChunkedLoad.Cores);
        return sourceSize > policy.Bytes || sourceSize > policy.Rows ? new CsvChunkPlanner(pipeline.Csv, policy) : null;
    }

    /// <summary>
    /// The chunk plan of an inflated file, when it needs one: read once more, now that its size is known (its compressed
    /// size said little about it). It is never spread over the cores, which is decided by the job's recorded size.
    /// </summary>
    private static async Task<CsvChunkPlan?> PlanInflatedAsync(string workflow, Pipelines.Pipeline pipeline, string path, long size, CancellationToken ct)
    {
        if (PlannerForSize(workflow, pipeline with { Chunk = pipeline.Chunk with { Spread = false } }, size) is not { } planner) return null;
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, useAsync: true);
        var buffer = Blocks.Pool.Rent(Blocks.Size);
        try
        {
            int n;
            while ((n = await file.ReadAsync(buffer.AsMemory(0, Blocks.Size), ct)) > 0) planner.Append(buffer.AsSpan(0, n));
        }
        finally
        {
            Blocks.Pool.Return(buffer);
        }
        return planner.Complete();
    }

    /// <summary>The name of the file in the download folder that the stages after this one read: the object's own, or,
    /// for a compressed one, the file it decompressed to (<see cref="CompressedSource"/>).</summary>
    public static string DataFileName(string key) => CompressedSource.InflatedName(SafeFileName(key));

    /// <summary>The last segment of the key (keys are validated on arrival, so it holds no path separators).</summary>
    public static string SafeFileName(string key) => key[(key.LastIndexOf('/') + 1)..];
}
