using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;

namespace Sluice.Observability;

/// <summary>
/// Stores job log lines in <c>sluice.job_logs</c> in the background, many lines per statement. Logging never blocks
/// a worker on the database (a blocked thread-pool thread starves every other worker and their lease renewals);
/// <see cref="FlushAsync"/> waits until everything written so far is stored.
/// </summary>
public sealed class JobLogWriter : IAsyncDisposable
{
    private const int MaxQueued = 100_000;
    /// <summary>How long the first line of a batch waits for others: in a burst of small jobs, one statement and one
    /// commit then carry the lines of many jobs instead of one or two each.</summary>
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(100);
    private readonly NpgsqlDataSource _db;
    private readonly Channel<Entry> _queue = Channel.CreateBounded<Entry>(new BoundedChannelOptions(MaxQueued)
    {
        FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true,
    });
    private readonly Task _loop;
    private long _written;
    private long _stored;

    private sealed record Entry(Guid JobId, DateTime At, string Level, string? WorkerId, string? Stage, string Message);

    public JobLogWriter(NpgsqlDataSource db)
    {
        _db = db;
        _loop = Task.Run(LoopAsync);
    }

    public void Write(Guid jobId, string level, string? workerId, string? stage, string message)
    {
        Interlocked.Increment(ref _written);
        if (!_queue.Writer.TryWrite(new Entry(jobId, DateTime.UtcNow, level, workerId, stage, message)))
            Interlocked.Increment(ref _stored); // closed: count it as done so flushes do not wait for it
    }

    /// <summary>Waits (up to <paramref name="timeout"/>) until every line written so far is stored or given up on.</summary>
    public async Task FlushAsync(TimeSpan timeout)
    {
        var target = Interlocked.Read(ref _written);
        var deadline = DateTime.UtcNow + timeout;
        while (Interlocked.Read(ref _stored) < target && DateTime.UtcNow < deadline && !_loop.IsCompleted)
            await Task.Delay(10);
    }

    private async Task LoopAsync()
    {
        var batch = new List<Entry>(512);
        while (await _queue.Reader.WaitToReadAsync())
        {
            await Task.Delay(Linger);
            while (batch.Count < 5000 && _queue.Reader.TryRead(out var e)) batch.Add(e);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await InsertAsync(batch);
                    break;
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
                {
                    // The control plane may be restarting: keep the lines a little while, then give up on them.
                    if (attempt >= 20) { Console.Error.WriteLine($"warn  dropped {batch.Count} job log lines: {ex.Message}"); break; }
                    await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt));
                }
            }
            Interlocked.Add(ref _stored, batch.Count);
            batch.Clear();
        }
    }

    private async Task InsertAsync(List<Entry> batch)
    {
        await using var cmd = _db.CreateCommand(
            "insert into sluice.job_logs (job_id, at, level, worker_id, stage, message) " +
            "select * from unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])");
        cmd.Parameters.Add(new NpgsqlParameter { Value = batch.Select(e => e.JobId).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = batch.Select(e => e.At).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter { Value = batch.Select(e => e.Level).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = batch.Select(e => e.WorkerId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = batch.Select(e => e.Stage).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = batch.Select(e => e.Message).ToArray() });
        await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }
}
