using System.Diagnostics;
using Npgsql;

namespace Sluice.Control;

/// <summary>
/// Wakes whoever waits for jobs to end: LISTEN on <c>sluice_jobs</c>, which a trigger raises with a job's id as its
/// outcome commits (migration 0006). The connection is its own and unpooled (a pooled one is not reset when it goes
/// back, and would go on listening). When it cannot be opened, or breaks, waits are plain delays: the caller checks
/// after every wait either way, so a lost notification only costs a poll interval.
/// </summary>
public sealed class JobEndSignal : IAsyncDisposable
{
    private NpgsqlConnection? _conn;
    private bool _ended;

    private JobEndSignal(NpgsqlConnection? conn, IReadOnlyCollection<Guid>? jobs)
    {
        _conn = conn;
        if (conn is null) return;
        var ids = jobs?.Select(id => id.ToString()).ToHashSet();
        // Only the waited-for jobs' ends wake the waiter (not every job of a busy serve beside it); any, without a list.
        conn.Notification += (_, e) => { if (ids is null || ids.Contains(e.Payload)) _ended = true; };
    }

    /// <summary>Starts listening for the end of <paramref name="jobs"/> (any job when null). Call before the first check:
    /// a job that ends between a check and the wait is then a notification waiting.</summary>
    public static async Task<JobEndSignal> ListenAsync(string connectionString, IReadOnlyCollection<Guid>? jobs, CancellationToken ct)
    {
        var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        try
        {
            var signal = new JobEndSignal(conn, jobs);
            await conn.OpenAsync(ct);
            await using var listen = new NpgsqlCommand("listen sluice_jobs", conn);
            await listen.ExecuteNonQueryAsync(ct);
            return signal;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await conn.DisposeAsync();
            return new JobEndSignal(null, jobs);
        }
        catch
        {
            await conn.DisposeAsync();
            throw;
        }
    }

    /// <summary>Returns when one of the jobs has ended since the last wait, or after <paramref name="poll"/>.</summary>
    public async Task WaitAsync(TimeSpan poll, CancellationToken ct)
    {
        if (_conn is null)
        {
            await Task.Delay(poll, ct);
            return;
        }
        try
        {
            var since = Stopwatch.GetTimestamp();
            while (!_ended)
            {
                // In whole milliseconds, at least one: the driver takes a timeout of 0 as "wait for ever".
                var left = (int)Math.Ceiling((poll - Stopwatch.GetElapsedTime(since)).TotalMilliseconds);
                if (left <= 0 || !await _conn.WaitAsync(left, ct)) break;
            }
            _ended = false;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
        {
            await _conn.DisposeAsync();
            _conn = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_conn is not null) await _conn.DisposeAsync();
    }
}
