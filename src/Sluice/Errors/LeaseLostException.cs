namespace Sluice.Errors;

/// <summary>The worker no longer owns the task (its lease expired and another worker took it over); it must commit nothing.</summary>
public sealed class LeaseLostException(long taskId)
    : SluiceException("lease.lost", $"task {taskId}: lease lost to another worker; this worker commits nothing for it", transient: true)
{
    public long TaskId { get; } = taskId;
}
