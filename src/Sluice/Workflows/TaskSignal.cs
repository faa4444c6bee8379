using Npgsql;
using Sluice.Observability;

namespace Sluice.Workflows;

/// <summary>
/// Wakes an idle worker the moment a task becomes ready (PostgreSQL LISTEN on <c>sluice_tasks</c>, raised by a trigger
/// once per ready task). Each pulse wakes <b>one</b> waiting worker: waking all of them for every task made every idle
/// worker but one run a claim that found nothing (docs/state-machines.md has the figures). A
/// pulse with no worker waiting is kept (one, not counted) for the next worker that would wait, so a task queued just
/// after a worker found none is not left for the poll. Workers still poll on a timer, so a lost notification or a
/// dropped listening connection only adds latency.
/// </summary>
public sealed class TaskSignal : IAsyncDisposable
{
    private readonly NpgsqlDataSource _db;
    private readonly JobLog _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly object _gate = new();
    private readonly LinkedList<TaskCompletionSource> _waiting = new();
    private bool _pending;

    public TaskSignal(NpgsqlDataSource db, JobLog log)
    {
        _db = db;
        _log = log;
        _loop = Task.Run(ListenLoopAsync);
    }

    /// <summary>Completes when a task may be ready, or after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        LinkedListNode<TaskCompletionSource> node;
        lock (_gate)
        {
            if (_pending) { _pending = false; return; }
            node = _waiting.AddLast(NewPulse());
        }
        try { await node.Value.Task.WaitAsync(timeout, ct); }
        catch (TimeoutException) { }
        finally
        {
            // A pulse that reached this waiter as it timed out is not lost: the worker claims after either.
            lock (_gate) if (node.List is not null) _waiting.Remove(node);
        }
    }

    /// <summary>Wakes one waiting worker (also used in-process when this process queued a task).</summary>
    public void Pulse()
    {
        lock (_gate)
        {
            while (_waiting.First is { } first)
            {
                _waiting.RemoveFirst();
                if (first.Value.TrySetResult()) return;
            }
            _pending = true;
        }
    }

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
