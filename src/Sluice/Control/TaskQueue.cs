using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using Sluice.Errors;

namespace Sluice.Control;

/// <summary>
/// The durable task queue. Claiming is one short transaction (FOR UPDATE SKIP LOCKED); the work runs outside it;
/// every later write is fenced by the lease token, so a worker that lost its lease commits nothing.
/// </summary>
public sealed partial class TaskQueue(NpgsqlDataSource db)
{
    /// <summary>Claims one runnable task (optionally of one job) and records its stage as running, with the job, in
    /// one round trip (<c>claim_task.sql</c>); null when none is due.</summary>
    public async Task<ClaimedTask?> ClaimAsync(string workerId, TimeSpan lease, IReadOnlyList<Guid>? onlyJobs, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var claim = new NpgsqlCommand(SqlQueries.Get("claim_task"), conn);
        claim.Parameters.Add(new() { Value = workerId });
        claim.Parameters.Add(new() { Value = (long)lease.TotalMilliseconds });
        claim.Parameters.Add(new() { Value = (object?)onlyJobs?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        await using var r = await claim.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        // Columns 0-11 the task and its stage row, 12 the commit setting, 13 on the job (null if it is gone).
        return new ClaimedTask(r.GetInt64(0), r.GetGuid(1), r.GetInt32(2), r.GetString(3), r.GetInt32(4), r.GetInt32(5),
            TimeSpan.FromMilliseconds(r.GetInt32(6)), r.GetInt64(7), r.GetInt64(11), TookOver: r.GetString(8) == "running",
            r.IsDBNull(10) ? null : r.GetInt32(10))
        {
            Job = r.IsDBNull(ClaimJobColumn) ? null : JobStore.ReadRecord(r, ClaimJobColumn),
        };
    }

    private const int ClaimJobColumn = 13;

    /// <summary>Extends the lease; false when another worker has taken the task over.</summary>
    public async Task<bool> RenewAsync(ClaimedTask task, TimeSpan lease, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(SqlQueries.Get("renew_lease"));
        cmd.Parameters.Add(new() { Value = task.Id });
        cmd.Parameters.Add(new() { Value = task.LeaseToken });
        cmd.Parameters.Add(new() { Value = (long)lease.TotalMilliseconds });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// Fences on the lease and then records the stage's end, counts, next task and job end in one transaction.
    /// Throws <see cref="LeaseLostException"/> (and writes nothing) when this worker no longer holds the task.
    /// </summary>
    /// <param name="chainTo">When set and the commit queues a next stage, that stage is claimed at once by this
    /// worker (with this lease) in the same transaction and returned; otherwise it is queued as ready.</param>
    public Task<ClaimedTask?> CommitAsync(ClaimedTask task, StageCommit commit, CancellationToken ct,
        (string WorkerId, TimeSpan Lease)? chainTo = null) =>
        CommitAsync(task, commit, null, ct, chainTo);

    /// <summary>Records every stage of an express lane (see <see cref="ExpressLane"/>) in one fenced transaction; the
    /// last stage's commit decides like a single stage's would.</summary>
    public Task<ClaimedTask?> CommitLaneAsync(ClaimedTask task, ExpressLane lane, CancellationToken ct,
        (string WorkerId, TimeSpan Lease)? chainTo = null) =>
        CommitAsync(task, lane.Stages[^1].Commit, lane, ct, chainTo);

    private async Task<ClaimedTask?> CommitAsync(ClaimedTask task, StageCommit commit, ExpressLane? lane, CancellationToken ct,
        (string WorkerId, TimeSpan Lease)? chainTo)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        // One round trip: the statements go together and run in one implicit transaction, the fence first; when the
        // lease is gone the fence raises, and nothing of the batch is committed.
        await using var batch = new NpgsqlBatch(conn);
        // Chunks of one job commit one at a time, so exactly one sees itself as the last (lock order: job row, then
        // task rows; the fence locks this task's row).
        if (task.Chunk is not null)
            batch.BatchCommands.Add(Command("select 1 from sluice.jobs where id = $1 for update", task.JobId));
        // Before the batch goes, whose transaction start is now() for the stage times below: read after, the lane's
        // times could come out early (a quick stage could end before it started).
        var now = Stopwatch.GetTimestamp();
        batch.BatchCommands.Add(FenceCommand(task, commit.TaskStatus, commit.RetryAfter, commit.ErrorMessage));
        // A stage that succeeded without deciding the job does not wait for its commit to reach the disk: if a database
        // crash loses it, the task is still the earlier stage's, whose lease runs out, and the stage runs again (stages
        // are idempotent; the rows a load commits, with their ledger row, are committed synchronously on their own, and
        // so is the commit that decides the job). A burst of small files spends most of its commits here, and a large
        // file's commits would otherwise wait behind the writeback of the workspace files its stage just wrote.
        if (commit.StageStatus == "succeeded" && commit.JobStatus is null)
            batch.BatchCommands.Add(new NpgsqlBatchCommand("select set_config('synchronous_commit', 'off', true)"));
        AddRecords(batch, task, lane?.WorkerId, lane?.Stages ?? [new ExpressStage(task.Stage, commit, now, now)], firstIsClaimed: true, now);
        return await DecideAsync(batch, task, commit, lane?.NextStartedAt is { } started ? MillisecondsAgo(started, now) : 0L, chainTo, ct);
    }

    /// <summary>Adds the rows of the stages that ran (the first the claimed task's own row when <paramref name="firstIsClaimed"/>,
    /// the others recorded with the times they ran, <paramref name="now"/> being the transaction's start), and their counts
    /// and chunk plan.</summary>
    private static void AddRecords(NpgsqlBatch batch, ClaimedTask task, string? workerId, IReadOnlyList<ExpressStage> ran, bool firstIsClaimed, long now)
    {
        for (var i = 0; i < ran.Count; i++)
        {
            var (stage, done) = (ran[i], ran[i].Commit);
            batch.BatchCommands.Add(i == 0 && firstIsClaimed
                ? Command(SqlQueries.Get("finish_stage"), task.StageRowId, done.StageStatus, Text(done.ErrorCode), Text(done.ErrorMessage),
                    Outputs(done), EventType(done), MillisecondsAgo(stage.FinishedAt, now))
                : Command(SqlQueries.Get("record_stage"), task.JobId, task.Attempt, stage.Name, workerId!, done.StageStatus,
                    Text(done.ErrorCode), Text(done.ErrorMessage), Outputs(done),
                    MillisecondsAgo(stage.StartedAt, now), MillisecondsAgo(stage.FinishedAt, now), EventType(done)));
        }
        // The lane's stages report different counts (transform what it read, load what it loaded): the latest of each.
        var counts = ran.Select(r => r.Commit.Counts).OfType<JobCounts>().Aggregate((JobCounts?)null, (a, b) => a is null ? b : new JobCounts(
            b.Read ?? a.Read, b.Loaded ?? a.Loaded, b.Rejected ?? a.Rejected, b.Filtered ?? a.Filtered));
        if (counts is { } c)
            batch.BatchCommands.Add(Command(SqlQueries.Get(ran[^1].Commit.AddsCounts ? "add_job_counts" : "update_job_counts"), task.JobId,
                Long(c.Read), Long(c.Loaded), Long(c.Rejected), Long(c.Filtered)));
        if (ran.Select(r => r.Commit.PlannedChunks).LastOrDefault(p => p is not null) is { } planned)
            batch.BatchCommands.Add(Command(SqlQueries.Get("plan_chunks"), task.JobId, Int(planned > 1 ? planned : null)));
    }

    /// <summary>Adds what the commit decides (chunks stopped, the job's end, the next task: chained to
    /// <paramref name="chainTo"/> or queued) and runs the batch; returns the chained task.</summary>
    /// <param name="nextStartedAgo">When the next stage started, in milliseconds before the transaction's start (for
    /// its row, when it is chained): more than 0 when it already ran and failed, less than 0 when the transaction began earlier.</param>
    /// <param name="thenCommit">The batch runs inside a transaction begun by an earlier batch (<see cref="DecidingLane"/>):
    /// it ends with that transaction's commit.</param>
    private static async Task<ClaimedTask?> DecideAsync(NpgsqlBatch batch, ClaimedTask task, StageCommit commit, long nextStartedAgo,
        (string WorkerId, TimeSpan Lease)? chainTo, CancellationToken ct, bool thenCommit = false)
    {
        if (commit.CancelsChunks)
            batch.BatchCommands.Add(Command(SqlQueries.Get("cancel_chunks"), task.JobId, task.Attempt, task.Id));
        if (commit.JobStatus is { } jobStatus)
            batch.BatchCommands.Add(Command(SqlQueries.Get("finish_job"), task.JobId, jobStatus,
                Text(commit.JobErrorCode), Text(commit.JobErrorMessage)));
        ClaimedTask? chained = null;
        if (commit.NextStage is { } next && chainTo is { } owner && commit.NextChunks is null && !commit.JoinsChunks)
        {
            batch.BatchCommands.Add(Command(SqlQueries.Get("chain_task"), task.JobId, task.Attempt, next, commit.NextMaxTries,
                (int)commit.NextBackoff.TotalMilliseconds, owner.WorkerId, (long)owner.Lease.TotalMilliseconds, nextStartedAgo));
            if (thenCommit) batch.BatchCommands.Add(new NpgsqlBatchCommand("commit"));
            await Fenced(task, async () =>
            {
                await using var r = await batch.ExecuteReaderAsync(ct);
                do
                {
                    if (r.FieldCount == 3 && r.GetName(1) == "lease_token" && await r.ReadAsync(ct))
                        chained = new ClaimedTask(r.GetInt64(0), task.JobId, task.Attempt, next, 1, commit.NextMaxTries, commit.NextBackoff,
                            r.GetInt64(1), r.GetInt64(2), TookOver: false);
                } while (await r.NextResultAsync(ct));
            });
            return chained;
        }
        // Before the join: the last chunk to finish is then the last of the chunks that run in order.
        if (commit.ThenChunk is { } then)
            batch.BatchCommands.Add(Command(SqlQueries.Get("enqueue_chunk"), task.JobId, task.Attempt, task.Stage, task.MaxTries,
                (int)task.Backoff.TotalMilliseconds, then));
        if (commit.NextStage is { } queued)
            batch.BatchCommands.Add(commit.JoinsChunks
                ? Command(SqlQueries.Get("join_chunks"), task.JobId, task.Attempt, task.Stage, queued,
                    commit.NextMaxTries, (int)commit.NextBackoff.TotalMilliseconds, Int(commit.NextChunks), commit.NextChunksInOrder)
                : Command(SqlQueries.Get("enqueue_task"), task.JobId, task.Attempt, queued,
                    commit.NextMaxTries, (int)commit.NextBackoff.TotalMilliseconds, Int(commit.NextChunks)));
        if (thenCommit) batch.BatchCommands.Add(new NpgsqlBatchCommand("commit"));
        await Fenced(task, () => batch.ExecuteNonQueryAsync(ct));
        return null;
    }

    /// <summary>Hands a task back untouched (graceful shutdown) so the next worker can claim it at once.</summary>
    public async Task ReleaseAsync(ClaimedTask task, string reason, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(conn);
        batch.BatchCommands.Add(FenceCommand(task, "ready", TimeSpan.Zero, null));
        batch.BatchCommands.Add(Command("update sluice.tasks set tries = greatest(tries - 1, 0) where id = $1", task.Id));
        batch.BatchCommands.Add(Command(SqlQueries.Get("finish_stage"), task.StageRowId, "abandoned",
            "worker.stopping", reason, Null(NpgsqlDbType.Jsonb), "stage.released", 0L));
        await Fenced(task, () => batch.ExecuteNonQueryAsync(ct));
    }

    /// <summary>
    /// For a commit in another database than the control plane's (a pipeline's own target): proves the lease is still
    /// this worker's and keeps it so until the returned hold is disposed, after that commit. The task's row stays locked
    /// (<see cref="StillHoldsSql"/>) in a transaction left open, as the check inside a load's own transaction does on the
    /// control plane's database: a chunk that fails the job cannot cancel this task in between, and no other worker can
    /// take it over. Null, holding nothing, when the lease is gone.
    /// </summary>
    /// <param name="lease">How long the transaction may stay open (the database ends the session after that), so a worker
    /// stalled while holding it does not keep its task from being taken over.</param>
    public async Task<IAsyncDisposable?> HoldLeaseAsync(ClaimedTask task, TimeSpan lease, CancellationToken ct)
    {
        var conn = await db.OpenConnectionAsync(ct);
        try
        {
            await using var batch = new NpgsqlBatch(conn);
            batch.BatchCommands.Add(new NpgsqlBatchCommand("begin"));
            batch.BatchCommands.Add(Command("select set_config('idle_in_transaction_session_timeout', $1, true)",
                ((long)lease.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            batch.BatchCommands.Add(StillHoldsCommand(task));
            var held = false;
            await using (var r = await batch.ExecuteReaderAsync(ct))
            {
                // The last result with columns is the check's (a row when held); the setting's comes before it.
                do
                {
                    if (r.FieldCount > 0) held = await r.ReadAsync(ct);
                } while (await r.NextResultAsync(ct));
            }
            if (held) return new OpenTransaction(conn);
        }
        catch
        {
            await DecidingLane.EndAsync(conn);
            throw;
        }
        await DecidingLane.EndAsync(conn);
        return null;
    }

    /// <summary>A transaction that holds its locks until disposed, and then writes nothing.</summary>
    private sealed class OpenTransaction(NpgsqlConnection conn) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => new(DecidingLane.EndAsync(conn));
    }

    /// <summary>Inside a load or merge transaction on the control plane's own database: proves the lease is still this
    /// worker's, with the ledger row in one round trip, and keeps it so until the commit (no transaction or connection
    /// of its own, unlike <see cref="HoldLeaseAsync"/>). A row when held.</summary>
    public static NpgsqlBatchCommand StillHoldsCommand(ClaimedTask task) =>
        new(StillHoldsSql) { Parameters = { new() { Value = task.Id }, new() { Value = task.LeaseToken } } };

    // FOR SHARE: the row stays locked until the rows commit, so a chunk that fails the job (cancel_chunks.sql) cannot
    // cancel this task between the check and the commit, nor another worker take it over: they wait for the commit, or
    // the check sees the task cancelled and the load rolls back.
    private const string StillHoldsSql =
        "select 1 from sluice.tasks where id = $1 and lease_token = $2 and status = 'running' and lease_expires_at > clock_timestamp() for share";

    /// <summary>The SQLSTATE the fence raises when the lease is gone (<c>sluice.lease_held</c>, migration 0007).</summary>
    internal const string LeaseLostState = "SL001";

    /// <summary>Closes the task if this worker still holds its lease; raises <see cref="LeaseLostState"/> otherwise, which
    /// rolls back the batch it leads (<see cref="Fenced"/> turns it into a <see cref="LeaseLostException"/>).</summary>
    private static NpgsqlBatchCommand FenceCommand(ClaimedTask task, string status, TimeSpan runAfter, string? error) =>
        Command(SqlQueries.Get("fence_task"), task.Id, task.LeaseToken, status, (long)runAfter.TotalMilliseconds, Text(error));

    /// <summary>Runs a batch led by <see cref="FenceCommand"/>: a lost lease surfaces as <see cref="LeaseLostException"/>.</summary>
    private static async Task Fenced(ClaimedTask task, Func<Task> run)
    {
        try { await run(); }
        catch (PostgresException e) when (e.SqlState == LeaseLostState) { throw new LeaseLostException(task.Id); }
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        foreach (var v in values)
            cmd.Parameters.Add(v as NpgsqlParameter ?? new NpgsqlParameter { Value = v });
        return cmd;
    }

    private static string EventType(StageCommit commit) =>
        commit.StageStatus switch { "succeeded" => "stage.succeeded", "retrying" => "stage.retrying", _ => "stage.failed" };

    private static NpgsqlParameter Outputs(StageCommit commit) => commit.Outputs is null
        ? Null(NpgsqlDbType.Jsonb)
        : new NpgsqlParameter { Value = commit.Outputs.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Jsonb };

    private static long MillisecondsAgo(long timestamp, long now) => (long)Stopwatch.GetElapsedTime(timestamp, now).TotalMilliseconds;

    private static NpgsqlParameter Text(string? s) => new() { Value = (object?)s ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
    private static NpgsqlParameter Int(int? v) => new() { Value = (object?)v ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer };
    private static NpgsqlParameter Long(long? v) => new() { Value = (object?)v ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint };
    private static NpgsqlParameter Null(NpgsqlDbType type) => new() { Value = DBNull.Value, NpgsqlDbType = type };
}
