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
        try
        {
            // One round trip opens the transaction, fences, records the lane and reads the job as the records leave it
            // (for the deciding stage); the commit is sent with the deciding stage's records, so the whole costs two.
            // The transaction is begun and ended by statements of the batches themselves (no NpgsqlTransaction).
            var began = Stopwatch.GetTimestamp();
            await using var batch = new NpgsqlBatch(conn);
            batch.BatchCommands.Add(new NpgsqlBatchCommand("begin"));
            batch.BatchCommands.Add(FenceCommand(task, "done", TimeSpan.Zero, null));
            batch.BatchCommands.Add(Command("select set_config('idle_in_transaction_session_timeout', $1, true)",
                ((long)lease.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)));
            AddRecords(batch, task, lane.WorkerId, lane.Stages, firstIsClaimed: true, began);
            JobStore.AddViewCommands(batch, task.JobId);
            JobView? view = null;
            await Fenced(task, async () =>
            {
                await using var r = await batch.ExecuteReaderAsync(ct);
                view = await JobStore.ReadViewAsync(r, ct);
            });
            return new DecidingLane(conn, task, lane.WorkerId, began, view);
        }
        catch
        {
            await DecidingLane.EndAsync(conn);
            throw;
        }
    }

    /// <summary>The open commit of an express lane, for the stage that decides the job (see
    /// <see cref="BeginDecidingLaneAsync"/>). Disposed without <see cref="CommitAsync"/>, it writes nothing.</summary>
    public sealed class DecidingLane : IAsyncDisposable
    {
        private readonly NpgsqlConnection _conn;
        private readonly ClaimedTask _task;
        private readonly string _workerId;
        private readonly long _began;
        private readonly JobView? _view;
        private bool _committed;

        internal DecidingLane(NpgsqlConnection conn, ClaimedTask task, string workerId, long began, JobView? view) =>
            (_conn, _task, _workerId, _began, _view) = (conn, task, workerId, began, view);

        /// <summary>The job with the lane's stages and counts, as this commit will leave it (read when it was opened).</summary>
        public Task<JobView?> ReadViewAsync(CancellationToken ct) => Task.FromResult(_view);

        /// <summary>Records the deciding stage (its row with the times it ran) and what its commit decides, and commits
        /// the whole lane in the same round trip, waiting for the disk when the job ends; returns the next stage when it
        /// was chained to <paramref name="chainTo"/>. A statement that fails stops the batch before its commit.</summary>
        public async Task<ClaimedTask?> CommitAsync(ExpressStage deciding, (string WorkerId, TimeSpan Lease)? chainTo, CancellationToken ct)
        {
            await using var batch = new NpgsqlBatch(_conn);
            AddRecords(batch, _task, _workerId, [deciding], firstIsClaimed: false, _began);
            var chained = await DecideAsync(batch, _task, deciding.Commit, MillisecondsAgo(deciding.FinishedAt, _began), chainTo, ct,
                thenCommit: true);
            _committed = true;
            return chained;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_committed) await EndAsync(_conn);
            else await _conn.DisposeAsync();
        }

        /// <summary>Rolls back whatever is open on <paramref name="conn"/> (nothing of it was committed) and closes it.</summary>
        internal static async Task EndAsync(NpgsqlConnection conn)
        {
            try
            {
                await using var rollback = new NpgsqlCommand("rollback", conn);
                await rollback.ExecuteNonQueryAsync();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException) { /* the session is gone: nothing was committed */ }
            await conn.DisposeAsync();
        }
    }
}
