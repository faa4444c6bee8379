using Sluice.Control;
using Sluice.Pipelines;
using Sluice.Postgres;

namespace Sluice.Stages.Load;

/// <summary>
/// How the chunks of a split file reach the target. Appends of a first attempt go straight into the target table,
/// each chunk with its own ledger row, so a crash redoes only unfinished chunks. Replace and upsert — and any replay,
/// which must take out the rows of the earlier attempt — stage the chunks into a job-scoped table
/// (<c>sluice.load_{job}_{attempt}</c>); the merge stage then moves them into the target in one transaction.
/// </summary>
public static class ChunkedLoad
{
    /// <summary>The ledger row that records the merge of a job's staged chunks.</summary>
    public const int MergeLedgerChunk = -1;

    public static bool UsesStaging(JobRecord job, Pipeline pipeline) =>
        job.Chunks > 1 && (pipeline.Target?.Mode != LoadMode.Append || job.Attempt > 1);

    /// <summary>
    /// Whether the chunks load one at a time, in file order: appends straight into a target with a key, when the
    /// pipeline asks for it (<c>chunk.keyed_loads: in_order</c>). Side by side (the default), each chunk's keys go into
    /// the middle of the index the later chunks are filling and split its pages in half (see
    /// <see cref="KeyedChunkLoads"/>); in order, every key lands at the index's right edge and the rows go into the table
    /// in file order, one backend doing all the loading. Transforms run side by side either way.
    /// </summary>
    public static bool LoadsInOrder(JobRecord job, Pipeline pipeline) =>
        job.Chunks > 1 && !UsesStaging(job, pipeline) && pipeline.Target is { KeyColumns.Count: > 0 }
        && pipeline.Chunk.KeyedLoads == KeyedChunkLoads.InOrder;

    /// <summary>The cores a file is spread over (<see cref="ChunkPolicy.SpreadWays"/>): this machine's.</summary>
    public static int Cores => Environment.ProcessorCount;

    /// <summary>Whether this job's chunks are its file spread over the cores (a file smaller than one chunk, see
    /// <see cref="ChunkPolicy.SpreadWays"/>): such chunks are small, and stream (<c>StreamedLoad</c>). Decided again
    /// from the file's size wherever asked, so a process on a machine with another number of cores only loads them
    /// from their artifacts instead. A compressed file is never spread: its recorded size is not its inflated size.</summary>
    public static bool IsSpread(JobRecord job, Pipeline pipeline) =>
        job.Chunks is > 1 and var chunks && pipeline.Chunk.SpreadWays(job.SourceSize, Cores) == chunks && !Storage.CompressedSource.IsCompressedKey(job.SourceKey);

    /// <summary>Whether <paramref name="stage"/> runs this job's chunks one at a time, in order (its loads, see
    /// <see cref="LoadsInOrder"/>).</summary>
    public static bool RunsInOrder(string? stage, JobRecord job, Pipeline pipeline) => stage == "load" && LoadsInOrder(job, pipeline);

    /// <summary>
    /// The rows this attempt of a split file put into the target table, by the load ledger: the merge's when its chunks
    /// were staged (none before the merge commits), else those of every chunk that committed. What a failed job loaded:
    /// a chunk stopped by another chunk's failure may have committed its rows just before, and then records no count.
    /// </summary>
    public static async Task<long> RowsInTargetAsync(StageContext context, TargetDefinition target, CancellationToken ct)
    {
        await using var conn = await TargetStatements.OpenAsync(context, target, ct);
        return await LoadLedger.AttemptRowsAsync(conn, context.Job.Id, context.Job.Attempt,
            UsesStaging(context.Job, context.Pipeline) ? MergeLedgerChunk : null, ct);
    }

    /// <summary>The staging table of this job attempt (schema <c>sluice</c> of the target database).</summary>
    public static string StagingTable(JobRecord job) => PgIdentifier.QualifiedName("sluice", StagingPrefix(job.Id) + job.Attempt);

    /// <summary>The name every staging table of the job starts with (for cleaning up earlier attempts).</summary>
    public static string StagingPrefix(Guid jobId) => $"load_{jobId:N}_";
}
