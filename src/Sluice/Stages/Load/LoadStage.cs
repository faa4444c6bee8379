using System.Text.Json.Nodes;
using Npgsql;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Pipelines;
using Sluice.Postgres;
using Sluice.Stages.Transform;
using Sluice.Workflows;

namespace Sluice.Stages.Load;

/// <summary>
/// Streams the binary COPY artifact into the target table and writes the load-ledger row in the same transaction,
/// so the rows and the proof that they were loaded commit together or not at all. A chunk of a split file loads its
/// own artifact and ledger row, into the target or a staging table (see <see cref="ChunkedLoad"/>).
/// </summary>
public sealed class LoadStage : IStage
{

    /// <summary>Target databases whose ledger table this process has already made sure of.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> LedgersEnsured = new();

    public string Name => "load";

    public Task<StageResult> RunAsync(StageContext context, CancellationToken ct) =>
        TargetStatements.ExplainingAsync(context, () => RunInTargetAsync(context, ct));

    private async Task<StageResult> RunInTargetAsync(StageContext context, CancellationToken ct)
    {
        var job = context.Job;
        var target = context.Pipeline.Target ?? throw new SluiceException("pipeline.no_target", $"pipeline {context.Pipeline.Name} has no target.");
        var chunk = context.Task.Chunk;
        var transformDir = context.Workspace.ChunkFolder("transform", chunk);
        var dataPath = Path.Combine(transformDir, "data.pgcopy");
        var manifestPath = Path.Combine(transformDir, LoadManifest.FileName);
        if (!File.Exists(dataPath) || !File.Exists(manifestPath))
            throw new SluiceException("workspace.missing", $"the load artifact in {transformDir} is missing; replay this job from transform.");
        var manifest = LoadManifest.Read(manifestPath);
        var table = PgIdentifier.QualifiedName(target.Schema, target.Table);
        if (chunk is not null && await RejectsOverLimitAsync(context, ct) is { } tooMany)
            return new StageResult(new JsonObject { ["table"] = table, ["rows"] = 0 }, Failure: tooMany);
        await using var conn = await TargetStatements.OpenAsync(context, target, ct);
        if (manifest.Streamed && job.Attempt == 1 && await LoadLedger.FindAsync(conn, job.Id, chunk ?? 0, ct) is { } streamed && streamed.Attempt >= job.Attempt)
        {
            // Transform loaded the rows (always straight into the target, and only on a job's first attempt) as it
            // wrote them, and committed them with this ledger row: one read, with nothing to prepare. A replay's load
            // (a later attempt) goes the whole way, whatever the first attempt's manifest says.
            context.Info($"{streamed.Rows:N0} rows were loaded into {table} as transform wrote them (ledger, attempt {streamed.Attempt})");
            return Result(streamed.Rows, table, alreadyLoaded: false, streamed: true);
        }
        await PrepareTargetAsync(context, conn, target, manifest.Definitions(), c => File.ReadAllTextAsync(Path.Combine(transformDir, "create.sql"), c), ct);
        string? staging = null;
        if (chunk is not null && ChunkedLoad.UsesStaging(job, context.Pipeline))
        {
            staging = ChunkedLoad.StagingTable(job);
            await SerializedDdl.RunAsync(conn, staging, $"create table if not exists {staging} (like {table} including defaults)", ct);
        }
        await using var tx = await conn.BeginTransactionAsync(ct);

        // The ledger row (locked), and what this transaction has inserted so far into where the rows go: a difference,
        // not the count after alone, since a backend's pending per-transaction counters can still hold inserts of its
        // earlier transactions (measured: a storm of small loads on one pooled connection saw 20–130 for 10).
        var (existing, before) = await LoadLedger.FindAndCountAsync(conn, job.Id, chunk ?? 0, staging ?? table, ct);
        if (existing is not null && existing.Attempt >= job.Attempt)
        {
            await tx.RollbackAsync(ct);
            // A previous run of this stage committed and then died before recording it: the rows are already there.
            context.Info($"ledger shows {existing.Rows:N0} rows of {Part(chunk)} already loaded into {staging ?? table} (attempt {existing.Attempt}); not loading again");
            return Result(existing.Rows, staging ?? table, alreadyLoaded: true);
        }

        if (chunk is not null)
        {
            // A chunk only adds its rows; whatever replaces or merges happens once, in the merge stage.
            var into = staging ?? table;
            await CopyAsync(conn, TargetStatements.BinaryCopy(into, manifest.Columns), dataPath, job.SourceKey, ct);
            return await CommitAsync(context, conn, tx, into, chunk.Value, Loaded.Since(before), manifest.Rows, existing is not null, ct);
        }

        if (existing is not null)
        {
            // A replay: the rows of the earlier attempt go in the same transaction as the new ones arrive.
            var removed = await TargetStatements.DeleteJobRowsAsync(conn, table, job.Id, ct);
            context.Info($"replay: removed {removed:N0} rows loaded by attempt {existing.Attempt}");
            await LoadLedger.ForgetChunksAsync(conn, job.Id, ct);
        }
        else if (target.Mode == LoadMode.Replace)
        {
            var removed = await ExecAsync(conn, $"delete from {table}", ct);
            context.Info($"replace: removed {removed:N0} earlier rows from {table}");
        }

        Loaded loaded;
        if (target.Mode == LoadMode.Upsert)
        {
            await ExecAsync(conn, $"create temp table sluice_stage (like {table} including defaults) on commit drop", ct);
            await CopyAsync(conn, TargetStatements.BinaryCopy("sluice_stage", manifest.Columns), dataPath, job.SourceKey, ct);
            loaded = Loaded.Rows(await TargetStatements.InsertSelectAsync(conn, tx, table, "sluice_stage", manifest.Columns, target, ct));
        }
        else
        {
            await CopyAsync(conn, TargetStatements.BinaryCopy(table, manifest.Columns), dataPath, job.SourceKey, ct);
            loaded = Loaded.Since(before);
        }

        return await CommitAsync(context, conn, tx, table, 0, loaded, manifest.Rows, existing is not null, ct);
    }

    /// <summary>How a load learns its row count: known already (an upsert's insert), or from the table's insert count
    /// in this transaction, read with the ledger row (<see cref="Since"/>: the count before the COPY).</summary>
    internal readonly record struct Loaded(long? Before, long Count)
    {
        public static Loaded Since(long before) => new(before, 0);
        public static Loaded Rows(long count) => new(null, count);
    }

    /// <summary>Writes the ledger row, counts the rows, proves the lease is still held (all in one round trip on the
    /// control plane's own database), checks the count, and commits; nothing is committed when a check fails.</summary>
    internal static async Task<StageResult> CommitAsync(StageContext context, NpgsqlConnection conn, NpgsqlTransaction tx, string into,
        int ledgerChunk, Loaded counted, long expected, bool replacing, CancellationToken ct, string how = "")
    {
        var job = context.Job;
        // Fencing: if another worker took this task over while we copied, we must not commit. On the control plane's
        // own database (the default target) the check runs in this transaction, with the ledger row; in another, it holds
        // the task on the control plane until the commit is done. The ledger row says the rows the artifact holds: it is
        // committed only if the COPY stored exactly those.
        var sameDatabase = context.Pipeline.Target!.Database is null;
        var (held, inserted) = await LoadLedger.RecordAndCountAsync(conn, job.Id, ledgerChunk, job.Attempt, into, expected, replacing,
            counted.Before is null ? null : into, sameDatabase ? TaskQueue.StillHoldsCommand(context.Task) : null, ct);
        var loaded = counted.Before is { } before ? inserted!.Value - before : counted.Count;
        if (loaded != expected)
            throw new SluiceException("reconcile.load_mismatch",
                $"COPY into {into} stored {loaded:N0} rows but the artifact holds {expected:N0}; nothing was committed.");
        await using (await TargetStatements.HoldLeaseAsync(context, held, ct))
        {
            FaultInjection.At("load.committing", job.SourceKey);
            await tx.CommitAsync(ct);
        }
        FaultInjection.At("load.commit", job.SourceKey);
        var mode = context.Pipeline.Target!.Mode.ToString().ToLowerInvariant();
        context.Info(context.Task.Chunk is { } c
            ? $"loaded {loaded:N0} rows of chunk {c} into {into}{how}"
            : $"loaded {loaded:N0} rows into {into} ({mode}){how}");
        return Result(loaded, into, alreadyLoaded: false);
    }

    private static string Part(int? chunk) => chunk is { } c ? $"chunk {c}" : "this job";

    /// <summary>
    /// With every chunk transformed, the job's reject limits are checked on its totals before any chunk loads a row;
    /// each chunk checks, so whichever loads first fails the job and the others are stopped.
    /// </summary>
    private static async Task<StageFailure?> RejectsOverLimitAsync(StageContext context, CancellationToken ct)
    {
        var counts = await context.ControlPlane.Jobs.GetCountsAsync(context.Job.Id, ct);
        var (read, rejected) = (counts.Read ?? 0, counts.Rejected ?? 0);
        return context.Pipeline.Rejects.Allows(rejected, read)
            ? null
            : Transform.TransformStage.TooManyRejects(context.Pipeline, rejected, read, "the rejects.csv of each chunk (published as one file)", "load");
    }

    /// <summary>
    /// Makes sure of the ledger table and the target table (created from <paramref name="createScript"/> when missing and
    /// the pipeline allows, given the lineage column when it lacks one) before the load's transaction begins. A table
    /// that exists must take <paramref name="columns"/> (the types the rows were encoded as; null: not known) unchanged.
    /// </summary>
    internal static async Task PrepareTargetAsync(StageContext context, NpgsqlConnection conn, TargetDefinition target,
        IReadOnlyList<ColumnDefinition>? columns, Func<CancellationToken, Task<string>> createScript, CancellationToken ct)
    {
        var connectionString = TargetStatements.ConnectionString(context, target);
        var table = PgIdentifier.QualifiedName(target.Schema, target.Table);
        // Marked only once the ledger exists: a second load starting meanwhile (another chunk of the same file) runs the
        // idempotent, serialized DDL too, instead of reading a table that is not there yet.
        if (!LedgersEnsured.ContainsKey(connectionString))
        {
            await LoadLedger.EnsureAsync(conn, ct);
            LedgersEnsured[connectionString] = true;
        }
        // The table is created (and committed) before the load transaction: a stalled load must never hold an
        // uncommitted CREATE TABLE that would block the worker taking its task over. The DDL runs only when needed
        // (ALTER TABLE takes an exclusive lock even when the column exists).
        var tableColumns = await TargetStatements.TableColumnsAsync(conn, target, ct);
        var (exists, hasLineage) = (tableColumns is not null, tableColumns?.ContainsKey(TableDdl.LineageColumn) == true);
        if (exists && columns is not null)
            TargetColumns.Check(table, context.Pipeline.Name, columns, tableColumns!);
        if (!exists && target.Create)
        {
            await SerializedDdl.RunAsync(conn, table, await createScript(ct), ct);
            // Another job may have created it first (CREATE TABLE IF NOT EXISTS then does nothing), from columns of its own.
            if (columns is not null && await TargetStatements.TableColumnsAsync(conn, target, ct) is { } created)
                TargetColumns.Check(table, context.Pipeline.Name, columns, created);
        }
        else if (!exists)
            throw new SluiceException("target.missing_table",
                $"table {table} does not exist and pipeline {context.Pipeline.Name} has target.create: false; create the table or set create: true.");
        else if (!hasLineage)
            await SerializedDdl.RunAsync(conn, table, $"alter table {table} add column if not exists {PgIdentifier.Quote(TableDdl.LineageColumn)} uuid", ct);
    }

    private static StageResult Result(long rows, string table, bool alreadyLoaded, bool streamed = false) =>
        new(new JsonObject { ["table"] = table, ["rows"] = rows, ["already_loaded"] = alreadyLoaded, ["streamed"] = streamed }, new JobCounts(Loaded: rows));

    private static async Task CopyAsync(NpgsqlConnection conn, string copySql, string dataPath, string sourceKey, CancellationToken ct)
    {
        await using var file = new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using var copy = await conn.BeginRawBinaryCopyAsync(copySql, ct);
        if (FaultInjection.Armed)
        {
            // For the load.copying fault point (crash tests): the first MiB goes in before it.
            var head = new byte[1 << 20];
            var read = await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
            await copy.WriteAsync(head.AsMemory(0, read), ct);
            FaultInjection.At("load.copying", sourceKey);
        }
        var block = Storage.Blocks.Pool.Rent(Storage.Blocks.Size);
        try
        {
            int n;
            while ((n = await file.ReadAsync(block.AsMemory(0, Storage.Blocks.Size), ct)) > 0) await copy.WriteAsync(block.AsMemory(0, n), ct);
        }
        finally
        {
            Storage.Blocks.Pool.Return(block);
        }
    }

    private static Task<int> ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct) => TargetStatements.ExecAsync(conn, sql, ct);
}
