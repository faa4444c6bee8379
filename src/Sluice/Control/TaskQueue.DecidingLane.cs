using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Sluice.Control;

public sealed partial class TaskQueue
{
    /// <summary>
    /// Opens the commit of an express lane whose next stage decides the job (publish), so that stage runs inside it:
    /// the lane's stages are recorded (fenced, as <see cref="CommitLaneAsync"/> would) in a transaction left open, the
    /// deciding stage reads the job from it, and <see cref="DecidingLane.CommitAsync"/> adds its own row and the job's
    /// end and commits once. Throws <see cref="Errors.LeaseLostException"/> when the lease is gone, having written nothing.
    /// </summary>
    /// <param name="lease">How long the transaction may wait for the worker (the database ends the session after that):
    /// the fence holds the task's row, so no other worker can take a stalled one's task over before.</param>
    public async Task<DecidingLane> BeginDecidingLaneAsync(ClaimedTask task, ExpressLane lane, TimeSpan lease, CancellationToken ct)
    {
        var conn = await db.OpenConnectionAsync(ct);
        NpgsqlTransaction? tx = null;
        try
        {
            tx = await conn.BeginTransactionAsync(ct);
            var began = Stopwatch.GetTimestamp();
            await using var batch = new NpgsqlBatch(conn, tx);
            batch.BatchCommands.Add(FenceCommand(task, "done", TimeSpan.Zero, null));
            batch.BatchCommands.Add(Command("select set_config('idle_in_transaction_session_timeout', $1, true)",
                ((long)lease.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)));
            AddRecords(batch, task, lane.WorkerId, lane.Stages, firstIsClaimed: true, began);
            await Fenced(task, () => batch.ExecuteNonQueryAsync(ct));
            return new DecidingLane(conn, tx, task, lane.WorkerId, began);
        }
        catch
        {
            if (tx is not null) await tx.DisposeAsync();
            await conn.DisposeAsync();
            throw;
        }
    }

    /// <summary>The open commit of an express lane, for the stage that decides the job (see
    /// <see cref="BeginDecidingLaneAsync"/>). Disposed without <see cref="CommitAsync"/>, it writes nothing.</summary>
    public sealed class DecidingLane : IAsyncDisposable
    {
        private readonly NpgsqlConnection _conn;
        private readonly NpgsqlTransaction _tx;
        private readonly ClaimedTask _task;
        private readonly string _workerId;
        private readonly long _began;
        private bool _committed;

        internal DecidingLane(NpgsqlConnection conn, NpgsqlTransaction tx, ClaimedTask task, string workerId, long began) =>
            (_conn, _tx, _task, _workerId, _began) = (conn, tx, task, workerId, began);

        /// <summary>The job with the lane's stages and counts, as this commit will leave it.</summary>
        public Task<JobView?> ReadViewAsync(CancellationToken ct) => JobStore.GetViewAsync(_conn, _task.JobId, ct);

        /// <summary>Records the deciding stage (its row with the times it ran) and what its commit decides, and commits
        /// the whole lane, waiting for the disk when the job ends; returns the next stage when it was chained to
        /// <paramref name="chainTo"/>.</summary>
        public async Task<ClaimedTask?> CommitAsync(ExpressStage deciding, (string WorkerId, TimeSpan Lease)? chainTo, CancellationToken ct)
        {
            await using var batch = new NpgsqlBatch(_conn, _tx);
            AddRecords(batch, _task, _workerId, [deciding], firstIsClaimed: false, _began);
            var chained = await DecideAsync(batch, _task, deciding.Commit, MillisecondsAgo(deciding.FinishedAt, _began), chainTo, ct);
            await _tx.CommitAsync(ct);
            _committed = true;
            return chained;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_committed)
            {
                try { await _tx.RollbackAsync(); }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException) { /* the session is gone: nothing was committed */ }
            }
            await _tx.DisposeAsync();
            await _conn.DisposeAsync();
        }
    }
}
