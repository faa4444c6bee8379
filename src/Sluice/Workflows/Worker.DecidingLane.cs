using System.Diagnostics;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Observability;
using Sluice.Pipelines;

namespace Sluice.Workflows;

/// <summary>How an express lane ends: its deciding stage (publish) runs inside the lane's commit.</summary>
public sealed partial class Worker
{
    /// <summary>Whether the lane's last commit leaves the job to be decided by the next stage, with nothing else to
    /// do first (no chunks, no failure).</summary>
    private static bool DecidesNext(StageCommit commit, WorkflowDefinition workflow, JobRecord job) =>
        commit is { StageStatus: "succeeded", JobStatus: null, NextChunks: null, JoinsChunks: false }
        && commit.NextStage == workflow.DecidingStage && job.Status != "failed";

    /// <summary>
    /// The last step of an express lane: the deciding stage runs inside the lane's commit, opened (and fenced) before
    /// it, reads the job from it, and one commit records the lane, the deciding stage and the job's end. A small file's
    /// job then costs one claim and, after its load, one commit, instead of a commit for the lane and a stage hop and
    /// commit for publish. When the deciding stage throws, or its commit fails, nothing of that commit stays: the lane is
    /// recorded on its own and the stage's failure on a task of its own, as for any stage failing in a lane
    /// (<see cref="RecordLaneFailureAsync"/>).
    /// </summary>
    /// <param name="job">The job as the lane's stages left it.</param>
    /// <param name="deciding">The claimed task, as the deciding stage's (it runs under the claimed task's lease).</param>
    private async Task<(ClaimedTask? Next, JobRecord Job)> DecideInLaneAsync(ClaimedTask task, List<ExpressStage> lane, JobRecord job,
        WorkflowDefinition workflow, Pipeline pipeline, ClaimedTask deciding, CancellationToken abort)
    {
        var started = Stopwatch.GetTimestamp();
        TaskQueue.DecidingLane open;
        try
        {
            open = await controlPlane.Tasks.BeginDecidingLaneAsync(task, new ExpressLane(Id, lane), options.Lease, abort);
        }
        catch (Exception e) when (e is not LeaseLostException && e is not OperationCanceledException && ErrorClassifier.Classify(e).Transient)
        {
            // The control plane is briefly unreachable: the lane is recorded as usual (retried meanwhile), and the
            // deciding stage is chained to this worker as a task of its own.
            return (await CommitLaneAsync(task, new ExpressLane(Id, lane), abort), job);
        }
        Exception failure;
        await using (open)
        {
            try
            {
                var result = await RunStageAsync(deciding, job, pipeline, abort, open.ReadViewAsync);
                var commit = SuccessCommit(deciding, job, workflow, pipeline, result);
                var chained = await open.CommitAsync(new ExpressStage(deciding.Stage, commit, started, Stopwatch.GetTimestamp()), (Id, options.Lease), abort);
                log.Write(LogLevel.Debug, $"{deciding.Stage} {commit.StageStatus} (express lane: recorded with the stages before it)", job.Id, deciding.Stage, Id);
                return (chained, After(job, commit));
            }
            catch (Exception e) when (e is not LeaseLostException && !(e is OperationCanceledException && abort.IsCancellationRequested))
            {
                failure = e;
            }
        }
        // Rolled back, and the task's row free again: recorded as any stage that failed in a lane.
        await RecordLaneFailureAsync(task, lane, started, job, workflow, failure, abort);
        return (null, job);
    }
}
