using Sluice.Configuration;
using Sluice.Control;
using Sluice.Observability;
using Sluice.Pipelines;
using Sluice.Storage;
using Sluice.Trigger;
using Sluice.Workflows;

namespace Sluice.Hosting;

/// <summary>
/// The pieces of <c>sluice serve</c> wired together: the folder trigger, the router (job intake) and a worker pool,
/// all on one control plane. <c>demo</c> and <c>run</c> use the same machinery.
/// </summary>
public sealed class SluiceHost : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private FolderWatcher? _watcher;

    private readonly JobLogWriter _logWriter;

    private SluiceHost(ControlPlane controlPlane, SluiceSettings settings, PipelineCatalog catalog, JobLog log, JobLogWriter logWriter)
    {
        _logWriter = logWriter;
        ControlPlane = controlPlane;
        Settings = settings;
        Catalog = catalog;
        Log = log;
        Buckets = new FolderBuckets(settings.BucketsRoot);
        Intake = new JobIntake(controlPlane, catalog, settings, log);
    }

    public ControlPlane ControlPlane { get; }
    public SluiceSettings Settings { get; }
    public PipelineCatalog Catalog { get; }
    public JobLog Log { get; }
    public FolderBuckets Buckets { get; }
    public JobIntake Intake { get; }

    /// <summary>The objects uploads of this process put in place and recorded the jobs of: the folder trigger passes
    /// over them rather than reading them again.</summary>
    public RecordedUploads Uploads { get; } = new();

    public WorkerPool? Workers { get; private set; }

    public static SluiceHost Create(ControlPlane controlPlane, SluiceSettings settings, PipelineCatalog catalog, JobLog log)
    {
        var writer = new JobLogWriter(controlPlane.DataSource);
        return new(controlPlane, settings, catalog, log.WithStore(writer), writer);
    }

    /// <summary>Starts the workers (when <paramref name="workers"/> &gt; 0) and the folder trigger (when asked).</summary>
    public void Start(WorkerOptions workers, bool watch, Action<Guid, string, long>? rowsProgress = null)
    {
        if (workers.Workers > 0)
        {
            // No in-process wake for a new job: its first task's notification wakes one worker (TaskSignal); a second
            // wake here made a second worker claim for the same task and find nothing, once per job.
            Workers = new WorkerPool(ControlPlane, Settings, workers, Log, rowsProgress);
        }
        if (watch && Catalog.InputBuckets.Count > 0)
        {
            _watcher = new FolderWatcher(Buckets, Catalog.InputBuckets, Settings.Settle,
                async (found, ct) => !(await Intake.ReceiveFileAsync(found.Bucket, found.Key, found.Path, found.Size, null, "trigger:folder", ct)).Incomplete,
                Log, Uploads);
            _loops.Add(Task.Run(() => _watcher.RunAsync(_stop.Token)));
        }
    }

    /// <summary>
    /// Retention, for whichever of the two is set (nothing when neither is): <c>SLUICE_WORKSPACE_RETENTION</c> removes the
    /// workspaces of jobs that succeeded longer ago than its period, <c>SLUICE_HISTORY_RETENTION</c> events and job log
    /// lines older than its; each now and then every tenth of its period (at least a minute, at most an hour apart).
    /// Only one process needs it (serve); several at once are safe, each removes what is still there.
    /// </summary>
    public void StartRetention()
    {
        if (Settings.WorkspaceRetention is { } workspaces)
        {
            var pruner = new WorkspacePruner(ControlPlane.DataSource, Settings.WorkspaceRoot, Settings.Lease);
            var told = new HashSet<Guid>(); // a job left alone is said once per process, not every pass
            _loops.Add(Task.Run(() => RepeatAsync("workspace retention", workspaces, async ct =>
            {
                var r = await pruner.PruneAsync(new WorkspacePruner.Options(workspaces), ct);
                if (r.Jobs > 0)
                    Log.Info($"workspace retention: removed the workspaces of {r.Jobs:N0} job(s) that succeeded before {r.EndedBefore:yyyy-MM-dd HH:mm:ss} UTC " +
                             $"({r.Files:N0} files, {r.Bytes:N0} bytes)");
                foreach (var skipped in r.LeftAlone.Where(j => told.Add(j.JobId)).Concat(r.Failed))
                    Log.Warn($"workspace retention: {skipped.Workspace}: {skipped.Reason}", skipped.JobId);
            }, _stop.Token)));
        }
        if (Settings.HistoryRetention is { } history)
        {
            var pruner = new HistoryPruner(ControlPlane.DataSource);
            _loops.Add(Task.Run(() => RepeatAsync("history retention", history, async ct =>
            {
                var r = await pruner.PruneAsync(history, dryRun: false, ct);
                if (r.Events + r.LogLines > 0)
                    Log.Info($"history retention: removed {r.Events:N0} event(s) and {r.LogLines:N0} log line(s) from before {r.Before:yyyy-MM-dd HH:mm:ss} UTC");
            }, _stop.Token)));
        }
    }

    private async Task RepeatAsync(string what, TimeSpan period, Func<CancellationToken, Task> pass, CancellationToken ct)
    {
        var every = TimeSpan.FromTicks(Math.Clamp(period.Ticks / 10, TimeSpan.FromMinutes(1).Ticks, TimeSpan.FromHours(1).Ticks));
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await pass(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.Warn($"{what}: this pass failed ({e.Message}); the next one is in {every.TotalMinutes:0} min");
            }
            await Task.Delay(every, ct);
        }
    }

    /// <summary>Waits until the job log lines written so far are stored: they go to the control plane in the
    /// background, many jobs' lines per statement, a moment after they are written.</summary>
    public Task FlushLogsAsync(TimeSpan timeout) => _logWriter.FlushAsync(timeout);

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        try { await Task.WhenAll(_loops); } catch (OperationCanceledException) { }
        if (Workers is not null) await Workers.StopAsync();
        await _logWriter.FlushAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (Workers is not null) await Workers.DisposeAsync();
        if (_watcher is not null) await _watcher.DisposeAsync();
        await _logWriter.DisposeAsync();
        _stop.Dispose();
    }
}
