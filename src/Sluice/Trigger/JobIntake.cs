using Sluice.Configuration;
using Sluice.Control;
using Sluice.Observability;
using Sluice.Pipelines;
using Sluice.Stages.Download;
using Sluice.Storage;
using Sluice.Workflows;

namespace Sluice.Trigger;

/// <summary>
/// The router: matches an arrived object to exactly one pipeline and records the job (the receive stage).
/// The same content under the same key is the same job, however often or concurrently it arrives.
/// </summary>
public sealed class JobIntake(ControlPlane controlPlane, PipelineCatalog catalog, SluiceSettings settings, JobLog log)
{
    /// <summary>Called for every created job (not for duplicates).</summary>
    public event Action<Guid>? JobCreated;

    /// <param name="Incomplete">The file changed while it was read: it is still being written; try again later.</param>
    public sealed record Outcome(Guid? JobId, bool Created, string? Problem, bool Incomplete = false);

    /// <summary>
    /// A file that arrived in a folder bucket, <paramref name="size"/> bytes when it was found complete. Routed first
    /// (a file no pipeline takes is not read at all); then read once, hashing it while copying it into the new job's
    /// workspace, where its download stage takes it (<see cref="ReceivedCopies"/>) instead of reading the file again.
    /// </summary>
    /// <param name="pipeline">The pipeline chosen by the caller, or null to route by bucket and key.</param>
    public async Task<Outcome> ReceiveFileAsync(string bucket, string key, string file, long size, Pipeline? pipeline, string requestedBy,
        CancellationToken ct)
    {
        if (pipeline is null)
        {
            var route = catalog.Route(bucket, key);
            if (Unrouted(route) is { } problem) return problem;
            pipeline = route.Pipeline!;
        }
        var workflow = WorkflowDefinition.For(WorkflowName(pipeline));
        var (id, workspace) = NewJobWorkspace();
        var jobFolder = Path.GetDirectoryName(workspace)!;
        var kept = false;
        try
        {
            var (sha, copy) = await HashAndCopyAsync(file, workspace, key, workflow, pipeline, size, ct);
            // The file may have changed while it was read: only a file the same size across the read is complete.
            var after = new FileInfo(file);
            if (copy?.Size is { } copied && copied != size || !after.Exists || after.Length != size)
                return new Outcome(null, false, $"{bucket}/{key} changed while it was read", Incomplete: true);
            var outcome = await RecordCopiedAsync(new Arrival(bucket, key, file, size, sha), pipeline, workflow, requestedBy, id, workspace, copy, ct);
            kept = outcome.Created;
            return outcome;
        }
        finally
        {
            if (!kept)
            {
                ReceivedCopies.Take(id);
                DeleteQuietly(jobFolder);
            }
        }
    }

    /// <summary>
    /// Records the job of an arrival whose bytes are already copied into the workspace chosen for it
    /// (<paramref name="id"/>, <paramref name="workspace"/>): the copy is offered to its download stage, and a large
    /// copy is made durable after the commit.
    /// </summary>
    private async Task<Outcome> RecordCopiedAsync(Arrival arrival, Pipeline pipeline, WorkflowDefinition workflow, string requestedBy,
        Guid id, string workspace, ReceivedCopies.Copy? copy, CancellationToken ct)
    {
        // A large copy is still on its way to the disk, and a commit that waits for the disk waits for it too (the
        // file system writes it first): the job is committed without waiting, so its download can start at once,
        // and made durable after, before the file counts as received (an error here leaves it to be received again).
        var early = copy is { Size: > JobWorkspace.SmallFileBytes };
        // Offered before the job is committed: the commit wakes the workers, and one may claim the download at once.
        if (copy is not null) ReceivedCopies.Add(id, copy);
        var outcome = await RecordAsync(arrival, pipeline, workflow, requestedBy, (id, workspace, !early), ct);
        if (outcome.Created && early) await controlPlane.Jobs.WaitForDiskAsync(ct);
        return outcome;
    }

    /// <summary>
    /// For an upload routed to <paramref name="pipeline"/>: the copy its job's download stage will take, written as the
    /// body arrives (beside the object itself), so the file is not read again; null for a workflow that does not
    /// start by downloading.
    /// </summary>
    /// <param name="sizeHint">The body's announced length, if any (whether to plan chunks at all).</param>
    public UploadCopy? BeginUploadCopy(string key, Pipeline pipeline, long? sizeHint)
    {
        var workflow = WorkflowDefinition.For(WorkflowName(pipeline));
        if (!TakesArrivalCopy(workflow)) return null;
        var (id, workspace) = NewJobWorkspace();
        return new UploadCopy(id, workspace, ArrivalCopyPath(workspace, key), DownloadStage.PlannerFor(workflow.Name, pipeline, key, sizeHint ?? long.MaxValue));
    }

    /// <summary>A new job's id and workspace, chosen before the job is recorded so its arrival copy can go there.</summary>
    private (Guid Id, string Workspace) NewJobWorkspace()
    {
        var id = Guid.CreateVersion7();
        return (id, JobWorkspace.PathFor(settings.WorkspaceRoot, id, DateTime.UtcNow));
    }

    /// <summary>A workflow that starts by downloading takes a copy made on arrival.</summary>
    private static bool TakesArrivalCopy(WorkflowDefinition workflow) => workflow.FirstTaskStage == "download";

    /// <summary>Where a copy made on arrival goes: exactly where the job's download stage would write its own.</summary>
    private static string ArrivalCopyPath(string workspace, string key) =>
        Path.Combine(new JobWorkspace(workspace).StageFolder("download"), DownloadStage.SafeFileName(key));

    /// <summary>
    /// Records the job of an upload whose body was also written to <paramref name="copy"/> (complete, and hashed to
    /// the arrival's SHA-256). When no job is created (the same content under the same key is a job already) the copy
    /// is removed.
    /// </summary>
    public async Task<Outcome> ReceiveCopiedAsync(Arrival arrival, Pipeline pipeline, UploadCopy copy, string requestedBy, CancellationToken ct)
    {
        var kept = false;
        try
        {
            var received = new ReceivedCopies.Copy(copy.Path, copy.Size, arrival.Sha256, copy.Planner?.Complete());
            var outcome = await RecordCopiedAsync(arrival, pipeline, WorkflowDefinition.For(WorkflowName(pipeline)), requestedBy,
                copy.JobId, copy.Workspace, received, ct);
            kept = outcome.Created;
            return outcome;
        }
        finally
        {
            if (!kept) copy.Discard();
        }
    }

    /// <summary>
    /// Hashes the file while copying it into the workspace's download folder, for a workflow that starts by
    /// downloading (planning its chunks on the way, as that stage would). A copy that cannot be written (a full disk)
    /// is given up: the file is then only hashed, and the download stage copies it, failing there with its reason.
    /// </summary>
    private static async Task<(string Sha256, ReceivedCopies.Copy? Copy)> HashAndCopyAsync(string file, string workspace, string key,
        WorkflowDefinition workflow, Pipeline pipeline, long size, CancellationToken ct)
    {
        if (TakesArrivalCopy(workflow))
        {
            var target = ArrivalCopyPath(workspace, key);
            var planner = DownloadStage.PlannerFor(workflow.Name, pipeline, key, size);
            try
            {
                var (copied, sha) = await HashedCopy.CopyAsync(file, target, size, planner is null ? null : planner.Append, ct);
                return (sha, new ReceivedCopies.Copy(target, copied, sha, planner?.Complete()));
            }
            catch (IOException) when (File.Exists(file))
            {
                DeleteQuietly(Path.GetDirectoryName(workspace)!);
            }
        }
        return (await JobWorkspace.Sha256Async(file, ct), null);
    }

    internal static void DeleteQuietly(string folder)
    {
        try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>An object already hashed (an upload, hashed as it was received): routed and recorded.</summary>
    public async Task<Outcome> ReceiveAsync(Arrival arrival, string requestedBy, CancellationToken ct)
    {
        var route = catalog.Route(arrival.Bucket, arrival.Key);
        if (Unrouted(route) is { } problem) return problem;
        return await ReceiveAsync(arrival, route.Pipeline!, requestedBy, ct);
    }

    public Task<Outcome> ReceiveAsync(Arrival arrival, Pipeline pipeline, string requestedBy, CancellationToken ct) =>
        RecordAsync(arrival, pipeline, WorkflowDefinition.For(WorkflowName(pipeline)), requestedBy, null, ct);

    private Outcome? Unrouted(RouteResult route)
    {
        if (route.IsAmbiguous)
        {
            log.Error(route.Message);
            return new Outcome(null, false, route.Message);
        }
        if (route.Pipeline is null)
        {
            log.Write(LogLevel.Debug, route.Message + "; left alone");
            return new Outcome(null, false, route.Message);
        }
        return null;
    }

    private static string WorkflowName(Pipeline pipeline) => pipeline.Workflow.ToString().ToLowerInvariant();

    private async Task<Outcome> RecordAsync(Arrival arrival, Pipeline pipeline, WorkflowDefinition workflow, string requestedBy,
        (Guid Id, string Workspace, bool WaitForDisk)? chosen, CancellationToken ct)
    {
        var yaml = await File.ReadAllTextAsync(pipeline.SourceFile, ct);
        var job = new NewJob(
            pipeline.Name, workflow.Name, arrival.Bucket, arrival.Key, arrival.Size, arrival.Sha256, yaml, pipeline.SourceFile,
            requestedBy, workflow.FirstTaskStage, pipeline.Retry.MaxAttempts, pipeline.Retry.Backoff);
        var (id, created) = chosen is { } c
            ? await controlPlane.Jobs.CreateAsync(job, c.Id, c.Workspace, ct, c.WaitForDisk)
            : await controlPlane.Jobs.CreateAsync(job, settings.WorkspaceRoot, ct);
        if (created)
        {
            log.Info($"received {arrival.Bucket}/{arrival.Key} ({arrival.Size:N0} bytes) for pipeline {pipeline.Name}", id, "receive");
            JobCreated?.Invoke(id);
        }
        else
        {
            log.Info($"{arrival.Bucket}/{arrival.Key} arrived again with the same content; it is job {id} already, no new job");
        }
        return new Outcome(id, created, null);
    }
}
