using Npgsql;
using Sluice.Observability;

namespace Sluice.Workflows;

/// <summary>
/// Wakes idle workers the moment a task becomes ready (PostgreSQL LISTEN on <c>sluice_tasks</c>, raised by a trigger).
/// Workers still poll on a timer, so a lost notification or a dropped listening connection only adds latency.
/// </summary>
public sealed class TaskSignal : IAsyncDisposable
{
    private readonly NpgsqlDataSource _db;
    private readonly JobLog _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private TaskCompletionSource _pulse = NewPulse();

    public TaskSignal(NpgsqlDataSource db, JobLog log)
    {
        _db = db;
        _log = log;
        _loop = Task.Run(ListenLoopAsync);
    }

    /// <summary>Completes when a task may be ready, or after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        var pulse = Volatile.Read(ref _pulse).Task;
        try { await pulse.WaitAsync(timeout, ct); }
        catch (TimeoutException) { }
    }

    /// <summary>Wakes every waiting worker (also used in-process when this process queued a task).</summary>
    public void Pulse() => Interlocked.Exchange(ref _pulse, NewPulse()).TrySetResult();

    private async Task ListenLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await using var conn = await _db.OpenConnectionAsync(_stop.Token);
                conn.Notification += (_, _) => Pulse();
                await using (var listen = new NpgsqlCommand("listen sluice_tasks", conn))
                    await listen.ExecuteNonQueryAsync(_stop.Token);
                Pulse(); // anything queued while we were not listening
                while (!_stop.IsCancellationRequested)
                    await conn.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return; }
            catch (Exception e) when (e is NpgsqlException or IOException or InvalidOperationException or TimeoutException)
            {
                _log.Write(LogLevel.Debug, $"task listener reconnecting: {e.Message}");
                try { await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    private static TaskCompletionSource NewPulse() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _loop; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
