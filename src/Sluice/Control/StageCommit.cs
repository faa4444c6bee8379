using System.Text.Json.Nodes;

namespace Sluice.Control;

/// <summary>
/// Everything that changes when a stage ends, committed in one fenced transaction: the task's new state,
/// the stage row, the job's counts, the next task, and the job's end when this was its last stage.
/// </summary>
public sealed record StageCommit
{
    /// <summary>done, failed, or ready (retry after <see cref="RetryAfter"/>).</summary>
    public required string TaskStatus { get; init; }
    /// <summary>succeeded, failed or retrying.</summary>
    public required string StageStatus { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
    public JsonObject? Outputs { get; init; }
    public TimeSpan RetryAfter { get; init; }
    public JobCounts? Counts { get; init; }
    /// <summary>The stage to queue next, if any.</summary>
    public string? NextStage { get; init; }
    public int NextMaxTries { get; init; } = 1;
    public TimeSpan NextBackoff { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Queue the next stage as one task per chunk (0..n-1) instead of one task.</summary>
    public int? NextChunks { get; init; }
    /// <summary>With <see cref="NextChunks"/>: queue only the first chunk's task; each chunk queues the next one's
    /// when it is done (<see cref="ThenChunk"/>), so the chunks run one at a time, in order.</summary>
    public bool NextChunksInOrder { get; init; }
    /// <summary>Queue this chunk of the same stage (the next of a stage that runs its chunks in order).</summary>
    public int? ThenChunk { get; init; }
    /// <summary>This is one chunk of a stage: the next stage is queued only by the last chunk to finish.</summary>
    public bool JoinsChunks { get; init; }
    /// <summary>This chunk failed the job: the other chunks of the attempt are stopped.</summary>
    public bool CancelsChunks { get; init; }
    /// <summary>Counts are one chunk's share and add to the job's instead of replacing them.</summary>
    public bool AddsCounts { get; init; }
    /// <summary>When set, the job's chunk plan for this attempt: the number of chunks (1 means processed whole).</summary>
    public int? PlannedChunks { get; init; }
    /// <summary>succeeded or failed when this commit ends the job attempt.</summary>
    public string? JobStatus { get; init; }
    public string? JobErrorCode { get; init; }
    public string? JobErrorMessage { get; init; }
}
