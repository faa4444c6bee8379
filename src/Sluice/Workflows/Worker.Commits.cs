using Sluice.Control;
using Sluice.Errors;
using Sluice.Observability;
using Sluice.Pipelines;
using Sluice.Stages;

namespace Sluice.Workflows;

/// <summary>How a worker records what its stages did: the commit a stage's result makes, failures and retries, the
/// express lane's failure path, and commits retried while the control plane is briefly unreachable.</summary>
public sealed partial class Worker
{
    private StageCommit SuccessCommit(ClaimedTask task, JobRecord job, WorkflowDefinition workflow, Pipeline pipeline, StageResult result)
    {
        var afterOutcome = workflow.IsAfterOutcome(task.Stage);
        var chunked = task.Chunk is not null;
        if (result.Failure is { } failure)
        {
            return new StageCommit
            {
                TaskStatus = "done", StageStatus = "failed", ErrorCode = failure.Code, ErrorMessage = failure.Message,
                Outputs = result.Outputs, Counts = result.Counts, AddsCounts = chunked, CancelsChunks = chunked,
                JobStatus = afterOutcome || job.Status == "failed" ? null : "failed", JobErrorCode = failure.Code, JobErrorMessage = failure.Message,
                NextStage = afterOutcome ? null : Needed(workflow, workflow.AfterFailureOf(task.Stage), job, pipeline), NextMaxTries = pipeline.Retry.MaxAttempts,
            };
        }
        var next = Needed(workflow, workflow.After(task.Stage), job, pipeline);
        // The plan made by this stage (download), else the job's.
        var chunks = result.Chunks ?? job.Chunks;
        return new StageCommit
        {
            TaskStatus = "done", StageStatus = "succeeded", Outputs = result.Outputs, Counts = result.Counts, AddsCounts = chunked,
            NextStage = next, NextMaxTries = pipeline.Retry.MaxAttempts, NextBackoff = pipeline.Retry.Backoff,
            NextChunks = next is not null && workflow.RunsInChunks(next) && chunks > 1 ? chunks : null,
            NextChunksInOrder = Stages.Load.ChunkedLoad.RunsInOrder(next, job, pipeline),
            // Every chunk's load makes sure the next chunk's is queued (enqueue_chunk.sql never adds a second task for a
            // chunk): with loads in order that is what queues it; side by side the join queued them all and this adds
            // nothing. Not decided from the pipeline here, so a job whose join a Sluice with another default (or an
            // older one) made still gets all its loads.
            ThenChunk = task.Chunk is { } done && done + 1 < chunks && task.Stage == "load" ? done + 1 : null,
            JoinsChunks = chunked, PlannedChunks = result.Chunks,
            // A failed job still runs publish (its rejects and report) but stays failed.
            JobStatus = task.Stage == workflow.DecidingStage && job.Status != "failed" ? "succeeded" : null,
        };
    }

    /// <summary>The job as a commit leaves it (no other writer changes a job between its stages).</summary>
    private static JobRecord After(JobRecord job, StageCommit commit) => job with
    {
        Status = commit.JobStatus ?? job.Status,
        Chunks = commit.PlannedChunks is { } planned ? (planned > 1 ? planned : null) : job.Chunks,
    };

    private async Task CommitFailureAsync(ClaimedTask task, JobRecord job, WorkflowDefinition workflow, SluiceException error, CancellationToken ct)
    {
        if (error is LeaseLostException) throw error;
        var afterOutcome = workflow.IsAfterOutcome(task.Stage);
        StageCommit commit;
        if (error.Transient && task.Try < task.MaxTries)
        {
            var wait = Backoff(task);
            log.Warn($"{task.Stage}{ChunkText(task)} failed (try {task.Try}/{task.MaxTries}), retrying in {wait.TotalSeconds:0.#}s: {error.Code}: {error.Message}", job.Id, task.Stage, Id);
            commit = new StageCommit
            {
                TaskStatus = "ready", StageStatus = "retrying", RetryAfter = wait, ErrorCode = error.Code, ErrorMessage = error.Message,
            };
        }
        else
        {
            log.Error($"{task.Stage}{ChunkText(task)} failed: {error.Code}: {error.Message}", job.Id, task.Stage, Id);
            commit = new StageCommit
            {
                TaskStatus = "failed", StageStatus = "failed", ErrorCode = error.Code, ErrorMessage = error.Message,
                CancelsChunks = task.Chunk is not null,
                JobStatus = afterOutcome || job.Status == "failed" ? null : "failed", JobErrorCode = error.Code, JobErrorMessage = error.Message,
                NextStage = afterOutcome ? null : Needed(workflow, workflow.AfterFailureOf(task.Stage), job, PipelineOrNull(job)), NextMaxTries = 3,
            };
        }
        await CommitAsync(task, commit, ct, chain: false);
    }

    /// <summary><paramref name="next"/>, or the first stage from it on that this job needs (optional stages it does
    /// not need are passed over). Without a readable pipeline every stage is needed.</summary>
    private string? Needed(WorkflowDefinition workflow, string? next, JobRecord job, Pipeline? pipeline)
    {
        while (next is not null && pipeline is not null && stages.Get(next) is IOptionalStage optional && !optional.IsNeeded(job, pipeline))
            next = workflow.After(next);
        return next;
    }

    private static Pipeline? PipelineOrNull(JobRecord job)
    {
        try { return PipelineLoader.ParseCached(job.PipelineYaml, job.PipelineFile); }
        catch (Exception e) when (e is not OperationCanceledException) { return null; }
    }

    /// <summary>Commits, retrying while the control plane is unreachable (e.g. restarting) for up to a lease period.</summary>
    private Task<ClaimedTask?> CommitAsync(ClaimedTask task, StageCommit commit, CancellationToken ct, bool chain) =>
        RetryCommitAsync(task, () => controlPlane.Tasks.CommitAsync(task, commit, CancellationToken.None, chain ? (Id, options.Lease) : null), ct);

    private Task<ClaimedTask?> CommitLaneAsync(ClaimedTask task, ExpressLane lane, CancellationToken ct, bool chain = true) =>
        RetryCommitAsync(task, () => controlPlane.Tasks.CommitLaneAsync(task, lane, CancellationToken.None, chain ? (Id, options.Lease) : null), ct);

    private async Task<ClaimedTask?> RetryCommitAsync(ClaimedTask task, Func<Task<ClaimedTask?>> commit, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + options.Lease;
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                return await commit();
            }
            catch (Exception e) when (e is not LeaseLostException && ErrorClassifier.Classify(e).Transient && DateTime.UtcNow < deadline)
            {
                log.Warn($"cannot record the end of {task.Stage} yet ({e.Message}); retrying", task.JobId, task.Stage, Id);
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    /// <summary>Exponential backoff from the pipeline's base delay, with ±50% jitter so retries of many jobs spread out.</summary>
    private static TimeSpan Backoff(ClaimedTask task)
    {
        var exp = task.Backoff.TotalMilliseconds * Math.Pow(2, Math.Min(task.Try - 1, 16));
        return TimeSpan.FromMilliseconds(Math.Min(exp, 600_000) * (0.5 + Random.Shared.NextDouble()));
    }

    /// <summary>
    /// A stage of an express lane threw: the stages before it are recorded as they ran, in one commit that queues the
    /// failed stage as its own task (claimed by this worker, its row starting when the stage started), and its failure
    /// is recorded on that task, so retries and the job's failure follow the one-stage-at-a-time rules.
    /// </summary>
    private async Task RecordLaneFailureAsync(ClaimedTask task, List<ExpressStage> lane, long started, JobRecord job,
        WorkflowDefinition workflow, Exception error, CancellationToken abort)
    {
        var own = await CommitLaneAsync(task, new ExpressLane(Id, lane) { NextStartedAt = started }, abort)
                  ?? throw new LeaseLostException(task.Id);
        // From here the claimed task is done: whatever goes wrong concerns the stage's own task.
        try
        {
            await CommitFailureAsync(own, job, workflow, ErrorClassifier.Classify(error), abort);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            await ReleaseQuietly(own);
        }
        catch (LeaseLostException)
        {
            log.Warn($"lost the lease on task {own.Id} ({own.Stage}) while recording its failure; another worker owns it now",
                job.Id, own.Stage, Id);
        }
        catch (Exception x)
        {
            log.Error($"could not record the failure of {own.Stage} ({x.Message}); its lease will expire and another worker will take it over",
                job.Id, own.Stage, Id);
        }
    }
}
