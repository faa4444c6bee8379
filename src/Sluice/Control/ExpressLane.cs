namespace Sluice.Control;

/// <summary>
/// The stages one worker ran back to back under the lease of their job's first task, recorded in one commit: every
/// stage gets its row and events as if it had run on its own, and the last stage's commit decides the task, the job
/// and what runs next. The first stage is the claimed task's own.
/// </summary>
public sealed record ExpressLane(string WorkerId, IReadOnlyList<ExpressStage> Stages)
{
    /// <summary>When the stage the last commit queues already ran here (and failed, so it is recorded on its own
    /// task): when it started, for its stage row.</summary>
    public long? NextStartedAt { get; init; }
}
