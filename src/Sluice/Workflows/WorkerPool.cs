using Sluice.Configuration;
using Sluice.Control;
using Sluice.Observability;
using Sluice.Stages;

namespace Sluice.Workflows;

/// <summary>
/// N workers in one process sharing one task signal. <see cref="StopAsync"/> stops claiming at once, lets running
/// stages finish within the grace period, then hands unfinished tasks back so another worker picks them up at once.
/// </summary>
public sealed class WorkerPool : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopClaiming = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskSignal _signal;
    private readonly List<Task> _running = [];
    private readonly WorkerOptions _options;
    private readonly HttpClient _http = new();

    public WorkerPool(ControlPlane controlPlane, SluiceSettings settings, WorkerOptions options, JobLog log,
        Action<Guid, string, long>? rowsProgress = null)
    {
        _options = options;
        _signal = new TaskSignal(controlPlane.DataSource, log, options.Workers);
        var stages = new StageRegistry(_http);
        var claimTrouble = new ClaimTrouble(log);
        for (var i = 1; i <= options.Workers; i++)
        {
            var worker = new Worker($"{options.ProcessName}/w{i}", controlPlane, stages, settings, options, _signal, claimTrouble, log, rowsProgress);
            _running.Add(Task.Run(() => worker.RunAsync(_stopClaiming.Token, _abort.Token)));
        }
    }

    public async Task StopAsync()
    {
        if (_stopClaiming.IsCancellationRequested) return;
        await _stopClaiming.CancelAsync();
        var all = Task.WhenAll(_running);
        if (await Task.WhenAny(all, Task.Delay(_options.Grace)) != all)
        {
            await _abort.CancelAsync();
            await all;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _signal.DisposeAsync();
        _http.Dispose();
        _stopClaiming.Dispose();
        _abort.Dispose();
    }
}
