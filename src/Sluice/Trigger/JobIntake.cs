using Sluice.Configuration;
using Sluice.Control;
using Sluice.Observability;
using Sluice.Pipelines;
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

    public sealed record Outcome(Guid? JobId, bool Created, string? Problem);

    public async Task<Outcome> ReceiveAsync(Arrival arrival, string requestedBy, CancellationToken ct)
    {
        var route = catalog.Route(arrival.Bucket, arrival.Key);
        if (route.IsAmbiguous)
        {
            log.Error(route.Message);
            return new Outcome(null, false, route.Message);
        }
        if (route.Pipeline is not { } pipeline)
        {
            log.Write(LogLevel.Debug, route.Message + "; left alone");
            return new Outcome(null, false, route.Message);
        }
        return await ReceiveAsync(arrival, pipeline, requestedBy, ct);
    }

    public async Task<Outcome> ReceiveAsync(Arrival arrival, Pipeline pipeline, string requestedBy, CancellationToken ct)
    {
        var workflow = WorkflowDefinition.For(pipeline.Workflow.ToString().ToLowerInvariant());
        var yaml = await File.ReadAllTextAsync(pipeline.SourceFile, ct);
        var (id, created) = await controlPlane.Jobs.CreateAsync(new NewJob(
            pipeline.Name, workflow.Name, arrival.Bucket, arrival.Key, arrival.Size, arrival.Sha256, yaml, pipeline.SourceFile,
            requestedBy, workflow.FirstTaskStage, pipeline.Retry.MaxAttempts, pipeline.Retry.Backoff), settings.WorkspaceRoot, ct);
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
