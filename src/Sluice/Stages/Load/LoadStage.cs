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
/// so the rows and the proof that they were loaded commit together or not at all.
/// </summary>
public sealed class LoadStage : IStage
{
    private const int Chunk = 0;

    /// <summary>Target databases whose ledger table this process has already made sure of.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> LedgersEnsured = new();

    public string Name => "load";

    public async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        var job = context.Job;
        var target = context.Pipeline.Target ?? throw new SluiceException("pipeline.no_target", $"pipeline {context.Pipeline.Name} has no target.");
        var transformDir = Path.Combine(context.Workspace.Path, "transform");
        var dataPath = Path.Combine(transformDir, "data.pgcopy");
        var manifestPath = Path.Combine(transformDir, LoadManifest.FileName);
        if (!File.Exists(dataPath) || !File.Exists(manifestPath))
            throw new SluiceException("workspace.missing", $"the load artifact in {transformDir} is missing; replay this job from transform.");
        var manifest = LoadManifest.Read(manifestPath);
        var table = PgIdentifier.QualifiedName(target.Schema, target.Table);
        var connectionString = target.Database is { } url ? DatabaseUrl.ToConnectionString(url) : context.ControlPlane.ConnectionString;

        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        if (LedgersEnsured.TryAdd(connectionString, true))
            await LoadLedger.EnsureAsync(conn, ct);
        // The table is created (and committed) before the load transaction: a stalled load must never hold an
        // uncommitted CREATE TABLE that would block the worker taking its task over. The DDL runs only when needed
        // (ALTER TABLE takes an exclusive lock even when the column exists).
        var (exists, hasLineage) = await TableStateAsync(conn, target, ct);
        if (!exists && target.Create)
            await SerializedDdl.RunAsync(conn, table, await File.ReadAllTextAsync(Path.Combine(transformDir, "create.sql"), ct), ct);
        else if (!exists)
            throw new SluiceException("target.missing_table",
                $"table {table} does not exist and pipeline {context.Pipeline.Name} has target.create: false; create the table or set create: true.");
        else if (!hasLineage)
            await SerializedDdl.RunAsync(conn, table, $"alter table {table} add column if not exists {PgIdentifier.Quote(TableDdl.LineageColumn)} uuid", ct);
        await using var tx = await conn.BeginTransactionAsync(ct);

        var existing = await LoadLedger.FindAsync(conn, job.Id, Chunk, ct);
        if (existing is not null && existing.Attempt >= job.Attempt)
        {
            // A previous run of this stage committed and then died before recording it: the rows are already there.
            await tx.RollbackAsync(ct);
            context.Info($"ledger shows {existing.Rows:N0} rows of this job already loaded into {table} (attempt {existing.Attempt}); not loading again");
            return Result(existing.Rows, table, alreadyLoaded: true);
        }

        if (existing is not null)
        {
            // A replay: the rows of the earlier attempt go in the same transaction as the new ones arrive.
            var removed = await ExecAsync(conn, $"delete from {table} where {PgIdentifier.Quote(TableDdl.LineageColumn)} = '{job.Id}'", ct);
            context.Info($"replay: removed {removed:N0} rows loaded by attempt {existing.Attempt}");
        }
        else if (target.Mode == LoadMode.Replace)
        {
            var removed = await ExecAsync(conn, $"delete from {table}", ct);
            context.Info($"replace: removed {removed:N0} earlier rows from {table}");
        }

        var columnList = string.Join(", ", manifest.Columns.Select(PgIdentifier.Quote));
        long loaded;
        if (target.Mode == LoadMode.Upsert)
        {
            await ExecAsync(conn, $"create temp table sluice_stage (like {table} including defaults) on commit drop", ct);
            await CopyAsync(conn, $"copy sluice_stage ({columnList}) from stdin (format binary)", dataPath, ct);
            var keys = string.Join(", ", target.KeyColumns.Select(PgIdentifier.Quote));
            var updates = string.Join(", ", manifest.Columns.Where(c => !target.KeyColumns.Contains(c))
                .Select(c => $"{PgIdentifier.Quote(c)} = excluded.{PgIdentifier.Quote(c)}"));
            loaded = await ExecAsync(conn,
                $"insert into {table} ({columnList}) select {columnList} from sluice_stage on conflict ({keys}) do update set {updates}", ct);
        }
        else
        {
            var before = await InsertedInTransactionAsync(conn, table, ct);
            await CopyAsync(conn, $"copy {table} ({columnList}) from stdin (format binary)", dataPath, ct);
            loaded = await InsertedInTransactionAsync(conn, table, ct) - before;
        }

        if (loaded != manifest.Rows)
            throw new SluiceException("reconcile.load_mismatch",
                $"COPY into {table} stored {loaded:N0} rows but the artifact holds {manifest.Rows:N0}; nothing was committed.");
        await LoadLedger.RecordAsync(conn, job.Id, Chunk, job.Attempt, table, loaded, replacing: existing is not null, ct);
        // Fencing: if another worker took this task over while we copied, we must not commit.
        if (!await context.ControlPlane.Tasks.StillHoldsAsync(context.Task, ct))
            throw new LeaseLostException(context.Task.Id);
        await tx.CommitAsync(ct);
        FaultInjection.At("load.commit", job.SourceKey);
        context.Info($"loaded {loaded:N0} rows into {table} ({target.Mode.ToString().ToLowerInvariant()})");
        return Result(loaded, table, alreadyLoaded: false);
    }

    private static StageResult Result(long rows, string table, bool alreadyLoaded) =>
        new(new JsonObject { ["table"] = table, ["rows"] = rows, ["already_loaded"] = alreadyLoaded }, new JobCounts(Loaded: rows));

    private static async Task CopyAsync(NpgsqlConnection conn, string copySql, string dataPath, CancellationToken ct)
    {
        await using var file = new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using var copy = await conn.BeginRawBinaryCopyAsync(copySql, ct);
        await file.CopyToAsync(copy, 1 << 20, ct);
    }

    /// <summary>
    /// Rows inserted into the table by this transaction so far, from PostgreSQL's own per-transaction statistics:
    /// an exact count of what COPY stored, without scanning the table.
    /// </summary>
    private static async Task<long> InsertedInTransactionAsync(NpgsqlConnection conn, string table, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select coalesce((select n_tup_ins from pg_stat_xact_user_tables where relid = $1::regclass), 0)", conn)
        {
            Parameters = { new() { Value = table } },
        };
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
    }

    /// <summary>Whether the target table exists and has the lineage column, in one round trip.</summary>
    private static async Task<(bool Exists, bool HasLineage)> TableStateAsync(NpgsqlConnection conn, TargetDefinition target, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "select exists (select 1 from information_schema.tables where table_schema = $1 and table_name = $2), " +
            "exists (select 1 from information_schema.columns where table_schema = $1 and table_name = $2 and column_name = $3)", conn)
        {
            Parameters = { new() { Value = target.Schema }, new() { Value = target.Table }, new() { Value = TableDdl.LineageColumn } },
        };
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return (r.GetBoolean(0), r.GetBoolean(1));
    }

    private static async Task<int> ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
