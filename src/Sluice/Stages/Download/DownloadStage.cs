using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Sluice.Errors;
using Sluice.Formats.Csv;
using Sluice.Stages.Load;

namespace Sluice.Stages.Download;

/// <summary>
/// Copies the source object into the job workspace, hashing it on the way: the bytes every later stage reads are
/// exactly the bytes that arrived, or the job stops here.
/// </summary>
public sealed class DownloadStage : IStage
{
    public string Name => "download";

    public async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        var job = context.Job;
        var source = context.Buckets.ObjectPath(job.SourceBucket, job.SourceKey);
        if (!File.Exists(source))
            throw new SluiceException("source.missing",
                $"object '{job.SourceKey}' is no longer in bucket '{job.SourceBucket}' ({source}); put it back and replay from download.");
        var target = Path.Combine(context.Workspace.StageFolder(Name), SafeFileName(job.SourceKey));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var planner = PlannerFor(context);
        var size = job.SourceSize <= Storage.JobWorkspace.SmallFileBytes
            ? CopySmall(source, target, hash, planner)
            : await CopyLargeAsync(source, target, hash, planner, ct);
        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (sha != job.SourceSha256)
            throw new SluiceException("source.changed",
                $"object '{job.SourceKey}' in bucket '{job.SourceBucket}' changed after it arrived (sha256 {job.SourceSha256[..12]}… now {sha[..12]}…); " +
                "the new content gets a job of its own, this one stops.");
        context.Info($"downloaded {size:N0} bytes from {job.SourceBucket}/{job.SourceKey}");
        var outputs = new JsonObject { ["file"] = new JsonObject { ["path"] = target, ["size"] = size, ["sha256"] = sha } };
        if (planner is null) return new StageResult(outputs, Chunks: 1);

        var plan = planner.Complete();
        if (plan.Chunks.Count == 1) return new StageResult(outputs, Chunks: 1);
        var planPath = Path.Combine(context.Workspace.StageFolder(Name), CsvChunkPlan.FileName);
        await File.WriteAllTextAsync(planPath, plan.ToJson(), ct);
        var described = await StageFiles.DescribeAsync(planPath, ct);
        described["count"] = plan.Chunks.Count;
        outputs["chunks"] = described;
        context.Info($"split into {plan.Chunks.Count} chunks of up to {context.Pipeline.Chunk.Rows:N0} rows / {context.Pipeline.Chunk.Bytes:N0} bytes, " +
                     (ChunkedLoad.LoadsInOrder(context.Job with { Chunks = plan.Chunks.Count }, context.Pipeline)
                         ? "transformed in parallel, then loaded one at a time in file order (the target has a key)"
                         : "transformed and loaded in parallel"));
        return new StageResult(outputs, Chunks: plan.Chunks.Count);
    }

    /// <summary>A file of a few kilobytes: plain synchronous calls, no hand-offs to the thread pool.</summary>
    private static long CopySmall(string source, string target, IncrementalHash hash, CsvChunkPlanner? planner)
    {
        using var src = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: false);
        using var dst = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: false);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long size = 0;
            int n;
            while ((n = src.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                planner?.Append(buffer.AsSpan(0, n));
                dst.Write(buffer, 0, n);
                size += n;
            }
            return size;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// A large file in blocks of 1 MiB, two cores at work: each block is hashed on a pool thread while this one plans
    /// and writes it and reads the next (hashing alone costs about as much as planning, copying and reading together).
    /// </summary>
    private static async Task<long> CopyLargeAsync(string source, string target, IncrementalHash hash, CsvChunkPlanner? planner, CancellationToken ct)
    {
        const int block = Storage.Blocks.Size;
        await using var src = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, useAsync: true);
        await using var dst = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true);
        var current = Storage.Blocks.Pool.Rent(block);
        var next = Storage.Blocks.Pool.Rent(block);
        Task hashing = Task.CompletedTask;
        long size = 0;
        try
        {
            var n = await src.ReadAsync(current.AsMemory(0, block), ct);
            while (n > 0)
            {
                var (bytes, count) = (current, n);
                hashing = Task.Run(() => hash.AppendData(bytes, 0, count), ct);
                planner?.Append(bytes.AsSpan(0, count));
                await dst.WriteAsync(bytes.AsMemory(0, count), ct);
                size += count;
                n = await src.ReadAsync(next.AsMemory(0, block), ct);
                await hashing;
                (current, next) = (next, current);
            }
        }
        finally
        {
            // Never hand a buffer back to the pool while the hash may still be reading it.
            await hashing.ContinueWith(_ => { }, TaskScheduler.Default);
            Storage.Blocks.Pool.Return(current);
            Storage.Blocks.Pool.Return(next);
        }
        return size;
    }

    /// <summary>
    /// A chunk planner when this job's file may need splitting: a load job whose CSV is larger than one chunk could
    /// be (a file of n bytes holds at most n records). Small files are not scanned at all.
    /// </summary>
    private static CsvChunkPlanner? PlannerFor(StageContext context)
    {
        var pipeline = context.Pipeline;
        var policy = pipeline.Chunk;
        if (context.Job.Workflow != "load" || pipeline.SourceFormat != "csv" || !policy.Enabled || !CsvChunkPlanner.CanPlan(pipeline.Csv))
            return null;
        return context.Job.SourceSize > policy.Bytes || context.Job.SourceSize > policy.Rows ? new CsvChunkPlanner(pipeline.Csv, policy) : null;
    }

    /// <summary>The last segment of the key (keys are validated on arrival, so it holds no path separators).</summary>
    public static string SafeFileName(string key) => key[(key.LastIndexOf('/') + 1)..];
}
