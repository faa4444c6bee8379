using Sluice.Configuration;
using Sluice.Control;
using Sluice.Observability;
using Sluice.Pipelines;
using Sluice.Storage;

namespace Sluice.Stages;

/// <summary>Everything a stage may use while it runs one task of one job.</summary>
public sealed class StageContext
{
    public required JobRecord Job { get; init; }
    public required Pipeline Pipeline { get; init; }
    public required ClaimedTask Task { get; init; }
    public required JobWorkspace Workspace { get; init; }
    public required FolderBuckets Buckets { get; init; }
    public required ControlPlane ControlPlane { get; init; }
    public required SluiceSettings Settings { get; init; }
    public required JobLog Log { get; init; }
    public required string WorkerId { get; init; }
    /// <summary>Rows processed so far by a long stage (for progress displays); may be null.</summary>
    public IProgress<long>? RowsProgress { get; init; }
    /// <summary>How many other workers of this process are waiting for a task right now; null when not known.</summary>
    public Func<int>? IdleWorkers { get; init; }
    /// <summary>Reads the job inside the commit that records the stages before this one, still open: set when the
    /// deciding stage runs in that commit (an express lane's, see <see cref="Control.TaskQueue.DecidingLane"/>).</summary>
    public Func<CancellationToken, Task<JobView?>>? ViewInCommit { get; init; }

    private Load.LockWaits? _lockWaits;

    /// <summary>Who this stage's target connections wait for (<see cref="Load.LockWaits"/>).</summary>
    internal Load.LockWaits LockWaits => _lockWaits ??= new Load.LockWaits(this);

    /// <summary>The job as the control plane holds it, with what the stages before this one recorded.</summary>
    public Task<JobView?> JobViewAsync(CancellationToken ct) => ViewInCommit?.Invoke(ct) ?? ControlPlane.Jobs.GetViewAsync(Job.Id, ct);

    public void Info(string message) => Log.Info(message, Job.Id, Task.Stage, WorkerId);
    public void Warn(string message) => Log.Warn(message, Job.Id, Task.Stage, WorkerId);
}
