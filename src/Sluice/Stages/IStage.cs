namespace Sluice.Stages;

/// <summary>
/// One step of a workflow. A stage reads what earlier stages left in the job workspace, writes its own outputs
/// there, and returns what to record. It must be safe to run again (at-least-once execution): the engine
/// retries transient failures and re-runs stages whose worker died.
/// </summary>
public interface IStage
{
    string Name { get; }

    Task<StageResult> RunAsync(StageContext context, CancellationToken ct);
}
