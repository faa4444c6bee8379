namespace Sluice.Control;

/// <summary>A task this worker holds a lease on. <see cref="LeaseToken"/> fences every write made for it.
/// <see cref="Chunk"/> is the part of the file it works on, or null when its stage covers the whole job.</summary>
public sealed record ClaimedTask(
    long Id,
    Guid JobId,
    int Attempt,
    string Stage,
    int Try,
    int MaxTries,
    TimeSpan Backoff,
    long LeaseToken,
    long StageRowId,
    bool TookOver,
    int? Chunk = null)
{
    /// <summary>The job as it stood when this task was claimed (read in the claim's transaction), when the claim read it.</summary>
    public JobRecord? Job { get; init; }
}
