using Npgsql;

namespace Sluice.Control;

/// <summary>Waits until jobs have ended and their follow-up stages (notify) have run.</summary>
public static class JobWaiter
{
    /// <summary>
    /// Returns when every job is succeeded or failed with no task left to run. Checks at once, then whenever a job ends
    /// (LISTEN on <c>sluice_jobs</c>, raised by a trigger as the job's outcome commits) and at least every
    /// <paramref name="poll"/>: a job whose follow-up stages (notify) still run, or a listening connection that could
    /// not be opened or broke, is seen by the poll.
    /// </summary>
    public static async Task WaitAsync(ControlPlane controlPlane, IReadOnlyCollection<Guid> jobs, TimeSpan poll, CancellationToken ct,
        Action<int>? onFinishedCount = null)
    {
        var ids = jobs.ToArray();
        var lastFinished = -1;
        // Listening before the first check: a job that ends between a check and the wait is a notification waiting.
        var listener = await ListenAsync(controlPlane, ids, ct);
        try
        {
            while (true)
            {
                await using var cmd = controlPlane.DataSource.CreateCommand(
                    "select count(*) from sluice.jobs j where j.id = any($1) and j.status in ('succeeded', 'failed') " +
                    "and not exists (select 1 from sluice.tasks t where t.job_id = j.id and t.status in ('ready', 'running'))");
                cmd.Parameters.Add(new NpgsqlParameter { Value = ids });
                var finished = Convert.ToInt32(await cmd.ExecuteScalarAsync(ct));
                if (finished != lastFinished) { onFinishedCount?.Invoke(finished); lastFinished = finished; }
                if (finished == ids.Length) return;
                listener = await WaitForEndAsync(listener, poll, ct);
            }
        }
        finally
        {
            if (listener is not null) await listener.DisposeAsync();
        }
    }

    /// <summary>A connection of its own listening for the end of one of <paramref name="ids"/>, or null when none can be
    /// had now (then the caller polls).</summary>
    private static async Task<Listener?> ListenAsync(ControlPlane controlPlane, Guid[] ids, CancellationToken ct)
    {
        // Not from the pool: a pooled connection is not reset when it goes back, and would go on listening.
        var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(controlPlane.ConnectionString) { Pooling = false }.ConnectionString);
        try
        {
            var listener = new Listener(conn, ids.Select(id => id.ToString()).ToHashSet());
            await conn.OpenAsync(ct);
            await using var listen = new NpgsqlCommand("listen sluice_jobs", conn);
            await listen.ExecuteNonQueryAsync(ct);
            return listener;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await conn.DisposeAsync();
            return null;
        }
        catch
        {
            await conn.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until one of the jobs ends or the poll interval passes; the listener, or null once it broke.</summary>
    private static async Task<Listener?> WaitForEndAsync(Listener? listener, TimeSpan poll, CancellationToken ct)
    {
        if (listener is null)
        {
            await Task.Delay(poll, ct);
            return null;
        }
        try
        {
            await listener.WaitAsync(poll, ct);
            return listener;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
        {
            await listener.DisposeAsync();
            return null;
        }
    }

    /// <summary>The listening connection, and whether one of the waited-for jobs has ended since the last wait (the
    /// others' notifications, from a busy serve beside, do not wake the waiter).</summary>
    private sealed class Listener : IAsyncDisposable
    {
        private readonly NpgsqlConnection _conn;
        private bool _ended;

        public Listener(NpgsqlConnection conn, HashSet<string> ids)
        {
            _conn = conn;
            _conn.Notification += (_, e) => { if (ids.Contains(e.Payload)) _ended = true; };
        }

        public async Task WaitAsync(TimeSpan poll, CancellationToken ct)
        {
            var since = System.Diagnostics.Stopwatch.GetTimestamp();
            while (!_ended)
            {
                // In whole milliseconds, at least one: the driver takes a timeout of 0 as "wait for ever".
                var left = (int)Math.Ceiling((poll - System.Diagnostics.Stopwatch.GetElapsedTime(since)).TotalMilliseconds);
                if (left <= 0 || !await _conn.WaitAsync(left, ct)) break;
            }
            _ended = false;
        }

        public ValueTask DisposeAsync() => _conn.DisposeAsync();
    }

    /// <summary>The stage currently running for a job, if any (for progress displays).</summary>
    public static async Task<string?> CurrentStageAsync(ControlPlane controlPlane, Guid job, CancellationToken ct)
    {
        await using var cmd = controlPlane.DataSource.CreateCommand(
            "select stage from sluice.tasks where job_id = $1 and status in ('ready', 'running') limit 1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = job });
        return await cmd.ExecuteScalarAsync(ct) as string;
    }
}
