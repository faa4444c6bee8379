using System.Diagnostics;
using Sluice.Configuration;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Observability;
using Sluice.Pipelines;
using Sluice.Stages;
using Sluice.Storage;

namespace Sluice.Workflows;

/// <summary>
/// One worker: claims a task, runs its stage outside any transaction while renewing the lease, then records the
/// result and the next task in one fenced transaction. A worker that lost its lease commits nothing.
/// </summary>
public sealed partial class Worker(
    string id,
    ControlPlane controlPlane,
    StageRegistry stages,
    SluiceSettings settings,
    WorkerOptions options,
    TaskSignal signal,
    ClaimTrouble claimTrouble,
    JobLog log,
    Action<Guid, string, long>? rowsProgress = null)
{
    public string Id { get; } = id;

    /// <summary>For stages: how many other workers of this process wait for a task (one delegate, not one per stage run).</summary>
    private readonly Func<int> _idleWorkers = () => signal.Waiting;

    /// <summary>Runs until <paramref name="stopClaiming"/>; a stage still running then gets the grace period, and is
    /// handed back (released) when <paramref name="abort"/> fires.</summary>
    public async Task RunAsync(CancellationToken stopClaiming, CancellationToken abort)
    {
        while (!stopClaiming.IsCancellationRequested)
        {
            ClaimedTask? task;
            try
            {
                task = await controlPlane.Tasks.ClaimAsync(Id, options.Lease, options.OnlyJobs, stopClaiming);
                claimTrouble.Succeeded(Id);
            }
            catch (OperationCanceledException) when (stopClaiming.IsCancellationRequested) { break; }
            catch (Exception e) when (ErrorClassifier.Classify(e).Transient)
            {
                claimTrouble.Failed(Id, e);
                await DelayQuietly(TimeSpan.FromSeconds(1), stopClaiming);
                continue;
            }
            if (task is null)
            {
                try { await signal.WaitAsync(options.Poll, stopClaiming); }
                catch (OperationCanceledException) { break; }
                continue;
            }
            // A stage that queues the next stage of the same job hands it straight to this worker (chaining), with
            // the job as this worker's own commits left it: no other writer changes a job between its stages.
            // A job whose stage was taken over after a crash runs its remaining stages one by one (no express lane).
            JobRecord? job = null;
            var mayExpress = task is { TookOver: false, Try: 1 };
            for (ClaimedTask? next = task; next is not null;)
            {
                var run = await RunTaskAsync(next, job, mayExpress, stopClaiming, abort);
                (next, job) = (run.Next, run.Job);
            }
        }
    }

    /// <param name="known">The job as the commit of its previous stage left it, when this task was chained to this worker.</param>
    /// <returns>The job's next stage when it was chained to this worker (null otherwise), and the job as this run left it.</returns>
    /// <param name="mayExpress">Whether this task may start an express lane (small files, see <see cref="ExpressLane"/>).</param>
    private async Task<(ClaimedTask? Next, JobRecord? Job)> RunTaskAsync(ClaimedTask task, JobRecord? known, bool mayExpress,
        CancellationToken stopClaiming, CancellationToken abort)
    {
        JobRecord? job = known?.Id == task.JobId ? known : task.Job;
        try
        {
            job ??= await controlPlane.Jobs.GetAsync(task.JobId, abort) ?? throw new SluiceException("job.missing", $"job {task.JobId} not found");
            var workflow = WorkflowDefinition.For(job.Workflow);
            if (task.TookOver)
                log.Warn($"took over {task.Stage} (try {task.Try}) from a worker whose lease expired", job.Id, task.Stage, Id);
            if (task.Try > task.MaxTries)
            {
                await CommitFailureAsync(task, job, workflow, new SluiceException("stage.exhausted",
                    $"stage {task.Stage} did not finish in {task.MaxTries} tries (its workers crashed or stalled); see the job's logs."), abort);
                return (null, null);
            }
            var pipeline = PipelineLoader.ParseCached(job.PipelineYaml, job.PipelineFile);
            var mayLane = mayExpress && task.Chunk is null;
            var express = mayLane && settings.ExpressBytes > 0 && job.SourceSize <= settings.ExpressBytes;
            return await RunStagesAsync(task, job, workflow, pipeline, express, mayLane, stopClaiming, abort);
        }
        catch (LeaseLostException)
        {
            log.Warn($"lost the lease on task {task.Id} ({task.Stage}): another worker took it over, or another chunk failed the job; " +
                     "this run records nothing more (rows a load committed stay, with their ledger row)",
                job?.Id ?? task.JobId, task.Stage, Id);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            await ReleaseQuietly(task);
        }
        catch (Exception e)
        {
            // Failures while preparing the stage (bad pipeline text, missing job) are the stage's failures too.
            if (job is null) { log.Error($"task {task.Id}: {e.Message}", task.JobId, task.Stage, Id); return (null, null); }
            try
            {
                await CommitFailureAsync(task, job, WorkflowDefinition.For(job.Workflow), ErrorClassifier.Classify(e), abort);
            }
            catch (LeaseLostException)
            {
                log.Warn($"lost the lease on task {task.Id} ({task.Stage}) while recording its failure; another worker owns it now, nothing was committed",
                    job.Id, task.Stage, Id);
            }
            catch (Exception x) when (x is not OperationCanceledException || abort.IsCancellationRequested)
            {
                // The control plane stayed out of reach for a whole lease (commits retry that long): this worker goes
                // back to claiming, and whichever worker claims first once it is back takes the task over.
                log.Error($"could not record the end of {task.Stage} ({x.Message}); its lease will expire and another worker will take it over",
                    job.Id, task.Stage, Id);
            }
        }
        return (null, null);
    }

    /// <summary>
    /// Runs the task's stage and records it. In the express lane (<paramref name="express"/>) the stages after it run
    /// here too, under the same lease, and are recorded in one commit, inside which the stage that decides the job runs
    /// (<see cref="DecideInLaneAsync"/>): a small file's download, transform, load and publish cost one claim and one
    /// commit instead of one of each per stage. A crash in
    /// the lane loses the lane's records (never its rows, which the load committed with its ledger), and the job starts
    /// again from the claimed task's stage, one stage at a time. Any whole-file task (<paramref name="mayLane"/>) whose
    /// stage already did the next one's work (<see cref="StageResult.NextStageDone"/>) takes that stage into a lane too.
    /// </summary>
    private async Task<(ClaimedTask? Next, JobRecord Job)> RunStagesAsync(ClaimedTask task, JobRecord job, WorkflowDefinition workflow, Pipeline pipeline,
        bool express, bool mayLane, CancellationToken stopClaiming, CancellationToken abort)
    {
        using var leaseLost = new CancellationTokenSource();
        using var running = CancellationTokenSource.CreateLinkedTokenSource(abort, leaseLost.Token);
        using var keeperStop = new CancellationTokenSource();
        var keeper = KeepLeaseAsync(task, leaseLost, keeperStop.Token);
        var lane = new List<ExpressStage>();
        var current = task;
        var leaseConfirmed = Stopwatch.GetTimestamp();
        StageCommit commit;
        long started, finished;
        try
        {
            while (true)
            {
                started = Stopwatch.GetTimestamp();
                StageResult result;
                try
                {
                    result = await RunStageAsync(current, job, pipeline, running.Token);
                }
                catch (Exception e) when (leaseLost.IsCancellationRequested && e is not LeaseLostException)
                {
                    throw new LeaseLostException(task.Id);
                }
                catch (Exception e) when (lane.Count > 0 && e is not LeaseLostException && !(e is OperationCanceledException && abort.IsCancellationRequested))
                {
                    await keeperStop.CancelAsync();
                    await keeper;
                    await RecordLaneFailureAsync(task, lane, started, job, workflow, e, abort);
                    return (null, job);
                }
                finished = Stopwatch.GetTimestamp();
                if (leaseLost.IsCancellationRequested) throw new LeaseLostException(task.Id);
                commit = SuccessCommit(current, job, workflow, pipeline, result);
                if (!((express || mayLane && result.NextStageDone) && Continues(commit, workflow) && !stopClaiming.IsCancellationRequested)) break;
                lane.Add(new ExpressStage(current.Stage, commit, started, finished));
                log.Write(LogLevel.Debug, $"{current.Stage} succeeded (express lane: recorded with the stages after it)", job.Id, current.Stage, Id);
                job = After(job, commit);
                current = current with { Stage = commit.NextStage! };
                FaultInjection.At("express.next", job.SourceKey);
                // Stage by stage, a worker that stalled past its lease learns it at its next commit, before starting
                // another stage. In the lane it would go on into the job's workspace, now another worker's: when the
                // lane has run long enough that a stall could hide in it, the lease is renewed (and so proven) first.
                if (Stopwatch.GetElapsedTime(leaseConfirmed) > options.Lease / 3)
                {
                    if (!await ProveLeaseAsync(task, running.Token)) throw new LeaseLostException(task.Id);
                    leaseConfirmed = Stopwatch.GetTimestamp();
                }
            }
        }
        finally
        {
            await keeperStop.CancelAsync();
            await keeper;
        }
        if (leaseLost.IsCancellationRequested) throw new LeaseLostException(task.Id);
        var chain = !stopClaiming.IsCancellationRequested;
        if (express && chain && DecidesNext(commit, workflow, job))
        {
            lane.Add(new ExpressStage(current.Stage, commit, started, finished));
            return await DecideInLaneAsync(task, lane, After(job, commit), workflow, pipeline, current with { Stage = commit.NextStage! }, abort);
        }
        ClaimedTask? chained;
        if (lane.Count == 0)
            chained = await CommitAsync(task, commit, abort, chain);
        else
        {
            lane.Add(new ExpressStage(current.Stage, commit, started, finished));
            chained = await CommitLaneAsync(task, new ExpressLane(Id, lane), abort, chain);
        }
        log.Write(LogLevel.Debug, $"{current.Stage}{ChunkText(task)} {commit.StageStatus}", job.Id, current.Stage, Id);
        return (chained, After(job, commit));
    }

    /// <summary>
    /// Renews the lease between two stages of a lane; false when it is gone or cannot be proven now. A lane that cannot
    /// prove its lease stops as a crash would, recording nothing: what its stages committed in the target (a streamed
    /// load's rows and ledger row) must not be answered by a failure of the stage that committed them.
    /// </summary>
    private async Task<bool> ProveLeaseAsync(ClaimedTask task, CancellationToken ct)
    {
        try
        {
            return await controlPlane.Tasks.RenewAsync(task, options.Lease, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.Warn($"cannot renew the lease on task {task.Id} between the stages of its express lane ({e.Message}); " +
                     "stopping without recording them: the task is taken over when its lease runs out", task.JobId, task.Stage, Id);
            return false;
        }
    }

    /// <summary>A lane goes on while its stages succeed, one whole-file stage after another, and stops before the
    /// deciding stage: publish reports the job as the control plane holds it (its stages and counts), so the lane is
    /// recorded first (an express lane runs it inside that commit, see <see cref="DecideInLaneAsync"/>); the stages after
    /// it report the outcome and retry on their own (webhooks).</summary>
    private static bool Continues(StageCommit commit, WorkflowDefinition workflow) =>
        commit is { StageStatus: "succeeded", JobStatus: null, NextStage: { } next, NextChunks: null, JoinsChunks: false }
        && next != workflow.DecidingStage && !workflow.IsAfterOutcome(next);

    /// <param name="viewInCommit">For a deciding stage run inside its lane's open commit: reads the job from it.</param>
    private async Task<StageResult> RunStageAsync(ClaimedTask task, JobRecord job, Pipeline pipeline, CancellationToken running,
        Func<CancellationToken, Task<JobView?>>? viewInCommit = null)
    {
        var stage = stages.Get(task.Stage);
        var context = new StageContext
        {
            Job = job, Pipeline = pipeline, Task = task, Workspace = new JobWorkspace(job.Workspace),
            Buckets = new FolderBuckets(settings.BucketsRoot), ControlPlane = controlPlane, Settings = settings, Log = log, WorkerId = Id,
            RowsProgress = rowsProgress is null ? null : new Progress<long>(n => rowsProgress(job.Id, task.Stage, n)),
            IdleWorkers = _idleWorkers, ViewInCommit = viewInCommit,
        };
        log.Write(LogLevel.Debug, $"{task.Stage}{ChunkText(task)} started (try {task.Try}/{task.MaxTries})", job.Id, task.Stage, Id);
        try
        {
            FaultInjection.At(task.Stage + ".start", job.SourceKey);
            return await stage.RunAsync(context, running);
        }
        catch (Exception e) when (running.IsCancellationRequested && e is not LeaseLostException and not OperationCanceledException)
        {
            // Cancelling a stage mid-COPY can surface as a driver error rather than a cancellation; once the lease
            // is gone (or the worker is stopping), what the stage threw is that, not a failure of the job.
            throw new OperationCanceledException(running);
        }
    }

    private static string ChunkText(ClaimedTask task) => task.Chunk is { } c ? $" (chunk {c})" : "";

    /// <summary>Renews the lease every third of its length; if renewal is refused, the stage is cancelled.</summary>
    private async Task KeepLeaseAsync(ClaimedTask task, CancellationTokenSource leaseLost, CancellationToken stop)
    {
        var every = options.Lease / 3;
        var lastRenewed = DateTime.UtcNow;
        while (!stop.IsCancellationRequested)
        {
            // Stopped at the end of every stage: wait without throwing (an exception per stage is measurable in storms).
            await Task.Delay(every, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stop.IsCancellationRequested) return;
            try
            {
                if (await controlPlane.Tasks.RenewAsync(task, options.Lease, stop)) { lastRenewed = DateTime.UtcNow; continue; }
                log.Warn($"lease on task {task.Id} was taken over; stopping {task.Stage}", task.JobId, task.Stage, Id);
                await leaseLost.CancelAsync();
                return;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception e) when (ErrorClassifier.Classify(e).Transient)
            {
                // The database may be restarting; the lease is on its clock, so past its length we must assume it is lost.
                if (DateTime.UtcNow - lastRenewed > options.Lease)
                {
                    log.Warn($"could not renew the lease on task {task.Id} for {options.Lease.TotalSeconds:0}s ({e.Message}); stopping {task.Stage}", task.JobId, task.Stage, Id);
                    await leaseLost.CancelAsync();
                    return;
                }
            }
        }
    }

    private async Task ReleaseQuietly(ClaimedTask task)
    {
        try
        {
            await controlPlane.Tasks.ReleaseAsync(task, "the worker was stopped before the stage finished; handed back for another worker", CancellationToken.None);
            log.Info($"handed {task.Stage} back to the queue (shutting down)", task.JobId, task.Stage, Id);
        }
        catch (Exception e)
        {
            log.Warn($"could not hand task {task.Id} back ({e.Message}); its lease will expire and another worker will take it", task.JobId, task.Stage, Id);
        }
    }

    private static async Task DelayQuietly(TimeSpan delay, CancellationToken ct)
    {
        try { await Task.Delay(delay, ct); } catch (OperationCanceledException) { }
    }
}
