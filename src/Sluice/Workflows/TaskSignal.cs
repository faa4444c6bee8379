using Npgsql;
using Sluice.Observability;

namespace Sluice.Workflows;

/// <summary>
/// Wakes an idle worker the moment a task becomes ready (PostgreSQL LISTEN on <c>sluice_tasks</c>, raised by a trigger
/// once per ready task). Each pulse wakes <b>one</b> waiting worker: waking all of them for every task made every idle
/// worker but one run a claim that found nothing (docs/state-machines.md has the figures). A
/// pulse with no worker waiting is kept (up to one per worker) for the next workers that would wait, so a task queued
/// just after a worker found none is not left for the poll. Workers still poll on a timer, so a lost notification or a
/// dropped listening connection only adds latency; after reconnecting, every waiting worker is woken.
/// </summary>
public sealed class TaskSignal : IAsyncDisposable
{
    private readonly NpgsqlDataSource _db;
    private readonly JobLog _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly object _gate = new();
    private readonly LinkedList<TaskCompletionSource> _waiting = new();
    private readonly int _capacity;
    private int _pending;

    /// <param name="capacity">The workers waiting on this signal: at most this many pulses are kept for later.</param>
    public TaskSignal(NpgsqlDataSource db, JobLog log, int capacity = 1)
    {
        _db = db;
        _log = log;
        _capacity = Math.Max(1, capacity);
        _loop = Task.Run(ListenLoopAsync);
    }

    /// <summary>How many workers are waiting on this signal now (idle, with nothing claimed).</summary>
    public int Waiting
    {
        get { lock (_gate) return _waiting.Count; }
    }

    /// <summary>Completes when a task may be ready, or after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        LinkedListNode<TaskCompletionSource> node;
        lock (_gate)
        {
            if (_pending > 0) { _pending--; return; }
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

    /// <summary>Wakes one waiting worker, or keeps the wake for the next worker to wait (one per notification of a ready task).</summary>
    public void Pulse()
    {
        lock (_gate)
        {
            while (_waiting.First is { } first)
            {
                _waiting.RemoveFirst();
                if (first.Value.TrySetResult()) return;
            }
            _pending = Math.Min(_pending + 1, _capacity);
        }
    }

    /// <summary>Wakes every waiting worker (after the listener reconnected: tasks may have been queued meanwhile).</summary>
    private void PulseAll()
    {
        lock (_gate)
        {
            var woken = 0;
            while (_waiting.First is { } first)
            {
                _waiting.RemoveFirst();
                if (first.Value.TrySetResult()) woken++;
            }
            // Workers that were busy will look for tasks before they next wait; these are for the ones in between.
            _pending = Math.Max(_pending, _capacity - woken);
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
                PulseAll(); // anything queued while we were not listening
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
