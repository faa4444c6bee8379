using System.Text.Json.Nodes;
using Npgsql;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Pipelines;
using Sluice.Postgres;
using Sluice.Stages.Load;
using Sluice.Stages.Transform;
using Sluice.Workflows;

namespace Sluice.Stages.Merge;

/// <summary>
/// Moves the staged chunks of a split file into the target in one transaction, applying the load mode once for the
/// whole file: replace empties the table, upsert merges on the key, and a replay first takes out the rows of the
/// job's earlier attempt. The merge has its own ledger row, so a merge that committed is never run twice.
/// Only chunked jobs that load through a staging table need it (see <see cref="ChunkedLoad"/>).
/// </summary>
public sealed class MergeStage : IOptionalStage
{
    public string Name => "merge";

    public bool IsNeeded(JobRecord job, Pipeline pipeline) => ChunkedLoad.UsesStaging(job, pipeline);

    public Task<StageResult> RunAsync(StageContext context, CancellationToken ct) =>
        TargetStatements.ExplainingAsync(context, () => RunInTargetAsync(context, ct));

    private async Task<StageResult> RunInTargetAsync(StageContext context, CancellationToken ct)
    {
        var job = context.Job;
        var target = context.Pipeline.Target ?? throw new SluiceException("pipeline.no_target", $"pipeline {context.Pipeline.Name} has no target.");
        if (!IsNeeded(job, context.Pipeline))
        {
            context.Info("nothing to merge: this job's rows went straight into the target");
            return new StageResult(new JsonObject { ["merged"] = false });
        }
        var table = PgIdentifier.QualifiedName(target.Schema, target.Table);
        var staging = ChunkedLoad.StagingTable(job);
        var manifestPath = Path.Combine(context.Workspace.ChunkFolder("transform", 0), LoadManifest.FileName);
        if (!File.Exists(manifestPath))
            throw new SluiceException("workspace.missing", $"the load manifest {manifestPath} is missing; replay this job from transform.");
        var columns = LoadManifest.Read(manifestPath).Columns;

        await using var conn = await TargetStatements.OpenAsync(context, target, ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var existing = await LoadLedger.FindAsync(conn, job.Id, ChunkedLoad.MergeLedgerChunk, ct);
        if (existing is not null && existing.Attempt >= job.Attempt)
        {
            await tx.RollbackAsync(ct);
            context.Info($"ledger shows this attempt's {existing.Rows:N0} rows already merged into {table}; not merging again");
            await DropStagingAsync(conn, job.Id, ct);
            return Result(table, existing.Rows, alreadyMerged: true);
        }

        var staged = await LoadLedger.ChunkRowsAsync(conn, job.Id, job.Attempt, ct);
        if (job.Attempt > 1)
        {
            var removed = await TargetStatements.DeleteJobRowsAsync(conn, table, job.Id, ct);
            context.Info($"replay: removed {removed:N0} rows loaded by earlier attempts");
        }
        if (target.Mode == LoadMode.Replace)
        {
            var removed = await ExecAsync(conn, $"delete from {table}", ct);
            context.Info($"replace: removed {removed:N0} earlier rows from {table}");
        }
        var merged = await TargetStatements.InsertSelectAsync(conn, tx, table, staging, columns, target, ct);
        if (merged != staged)
            throw new SluiceException("reconcile.merge_mismatch",
                $"the chunks staged {staged:N0} rows in {staging} but {merged:N0} reached {table}; nothing was committed. Replay from load.");
        var held = await LoadLedger.RecordAsync(conn, job.Id, ChunkedLoad.MergeLedgerChunk, job.Attempt, table, merged, replacing: existing is not null, ct,
            target.Database is null ? TaskQueue.StillHoldsCommand(context.Task) : null);
        await using (await TargetStatements.HoldLeaseAsync(context, held, ct))
            await tx.CommitAsync(ct);
        FaultInjection.At("merge.commit", job.SourceKey);
        context.Info($"merged {merged:N0} rows from {job.Chunks} chunks into {table} ({target.Mode.ToString().ToLowerInvariant()})");
        await DropStagingAsync(conn, job.Id, ct);
        return Result(table, merged, alreadyMerged: false);
    }

    private static StageResult Result(string table, long rows, bool alreadyMerged) =>
        new(new JsonObject { ["merged"] = true, ["table"] = table, ["rows"] = rows, ["already_merged"] = alreadyMerged });

    /// <summary>Drops the staging tables of every attempt of the job (earlier failed attempts leave theirs for diagnosis).</summary>
    private static async Task DropStagingAsync(NpgsqlConnection conn, Guid jobId, CancellationToken ct)
    {
        var names = new List<string>();
        await using (var cmd = new NpgsqlCommand("select tablename from pg_tables where schemaname = 'sluice' and starts_with(tablename, $1)", conn))
        {
            cmd.Parameters.Add(new() { Value = ChunkedLoad.StagingPrefix(jobId) });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) names.Add(r.GetString(0));
        }
        foreach (var name in names)
            await ExecAsync(conn, $"drop table if exists {PgIdentifier.QualifiedName("sluice", name)}", ct);
    }

    private static Task<int> ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct) => TargetStatements.ExecAsync(conn, sql, ct);
}
