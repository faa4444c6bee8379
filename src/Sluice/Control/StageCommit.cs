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
    /// <summary>succeeded or failed when this commit ends the job attempt.</summary>
    public string? JobStatus { get; init; }
    public string? JobErrorCode { get; init; }
    public string? JobErrorMessage { get; init; }
}
