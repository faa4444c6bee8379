using System.Data;
using Npgsql;
using Sluice.Errors;

namespace Sluice.Stages.Load;

/// <summary>
/// Who a stage's target connections wait for. A load, merge or streamed load whose statement waits on a lock another
/// session holds on the table (an <c>ALTER TABLE</c>, a <c>VACUUM FULL</c>, a forgotten open transaction) would
/// otherwise sit silent until the command timeout and fail with a guess: each connection a stage opens to its target is
/// looked at after a few seconds, then now and then, and the session holding it up is named in the job's log — and in
/// the stage's error, when the wait ends in the command timeout.
/// </summary>
/// <remarks>A timer per connection, stopped as it closes: a load of a few milliseconds never looks. The look names the
/// blocking session by pid, user, application, address, state and how long its transaction has been open; not its
/// statement, whose text may hold values that do not belong in a job's log.</remarks>
internal sealed class LockWaits(StageContext context)
{
    /// <summary>The first look at a connection's waits: a lock held this long is worth telling.</summary>
    private static readonly TimeSpan FirstLook = TimeSpan.FromSeconds(5);

    /// <summary>The looks after it, while the wait goes on.</summary>
    private static readonly TimeSpan LookEvery = TimeSpan.FromSeconds(15);

    private readonly Lock _gate = new();
    private string? _blocker;

    /// <summary>Watches <paramref name="conn"/> (open) until it closes.</summary>
    public void Watch(NpgsqlConnection conn, string table, Func<CancellationToken, ValueTask<NpgsqlConnection>> openAnother)
    {
        var pid = conn.ProcessID;
        var since = DateTime.UtcNow;
        // Before the command timeout ends the wait (it may be short for a target's own connection string).
        var first = conn.CommandTimeout > 0 ? TimeSpan.FromSeconds(Math.Min(FirstLook.TotalSeconds, conn.CommandTimeout / 2.0)) : FirstLook;
        Timer? timer = null;
        timer = new Timer(_ => _ = LookAsync(), null, first, Timeout.InfiniteTimeSpan);
        conn.StateChange += Closed;
        return;

        void Closed(object? sender, StateChangeEventArgs e)
        {
            if (e.CurrentState != ConnectionState.Closed) return;
            conn.StateChange -= Closed;
            lock (_gate) timer?.Dispose();
        }

        async Task LookAsync()
        {
            try
            {
                if (conn.State == ConnectionState.Closed) return;
                if (await BlockerAsync(openAnother, pid) is { } blocker)
                {
                    var waited = (int)(DateTime.UtcNow - since).TotalSeconds;
                    lock (_gate) _blocker = $"{blocker}; the wait had lasted {waited} s";
                    context.Warn($"waiting for a lock on {table}, held by {blocker}; it goes on when that session ends its transaction " +
                                 "(or is ended: select pg_terminate_backend(pid))");
                }
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or ObjectDisposedException)
            {
                // A look is only a look: the stage's own statements decide its outcome.
            }
            lock (_gate)
            {
                try { timer?.Change(LookEvery, Timeout.InfiniteTimeSpan); }
                catch (ObjectDisposedException) { }
            }
        }
    }

    /// <summary>The session <paramref name="pid"/> waits on, described; null when it waits on none.</summary>
    private static async Task<string?> BlockerAsync(Func<CancellationToken, ValueTask<NpgsqlConnection>> open, int pid)
    {
        await using var conn = await open(CancellationToken.None);
        await using var cmd = new NpgsqlCommand(
            "select pid, coalesce(usename, '?'), coalesce(nullif(application_name, ''), 'no application name'), " +
            "coalesce(host(client_addr), 'local'), coalesce(state, '?'), " +
            "coalesce(extract(epoch from now() - xact_start)::bigint, 0) " +
            "from pg_stat_activity where pid = any(pg_blocking_pids($1)) order by xact_start limit 1", conn)
        {
            Parameters = { new() { Value = pid } },
            CommandTimeout = 5,
        };
        await using var r = await cmd.ExecuteReaderAsync();
        if (!await r.ReadAsync()) return null;
        return $"session pid {r.GetInt32(0)} (user {r.GetString(1)}, {r.GetString(2)}, from {r.GetString(3)}, {r.GetString(4)}, " +
               $"its transaction open for {r.GetInt64(5)} s)";
    }

    /// <summary>A stage error that ended a wait this watch saw, said with who held the lock; null for any other.</summary>
    public SluiceException? Explain(Exception e)
    {
        string? blocker;
        lock (_gate) blocker = _blocker;
        if (blocker is null || ErrorClassifier.Classify(e) is not { Code: "postgres.timeout" } timeout) return null;
        return new SluiceException("target.lock_wait",
            $"a statement in the target waited for a lock until the command timeout: held by {blocker}. End that session's transaction " +
            "(or the session: select pg_terminate_backend(pid)); the stage is tried again as retry.max_attempts allows, and a failed job can be " +
            $"replayed from {context.Task.Stage} once the lock is free.", transient: true, e);
    }
}
