namespace Sluice.Workflows;

/// <summary>
/// A workflow is an ordered list of stages. The job's outcome is decided when <see cref="DecidingStage"/> ends;
/// the stages after it (notify) report that outcome and run whether the job succeeded or failed.
/// </summary>
/// <remarks>
/// <see cref="ChunkedStages"/> run as one task per chunk when the job's file was split: each chunk's task runs on its
/// own (any worker, any process), and the stage after them is queued when the last chunk is done.
/// </remarks>
public sealed record WorkflowDefinition(string Name, IReadOnlyList<string> Stages, string DecidingStage, IReadOnlyList<string> ChunkedStages)
{
    /// <summary>receive → download → transform → load → merge → publish → notify (merge runs only for chunked jobs
    /// that load through a staging table).</summary>
    public static readonly WorkflowDefinition Loader = new("load",
        ["receive", "download", "transform", "load", "merge", "publish", "notify"], "publish", ["transform", "load"]);

    /// <summary>receive → download → convert → validate → publish → notify.</summary>
    public static readonly WorkflowDefinition Convertor = new("convert",
        ["receive", "download", "convert", "validate", "publish", "notify"], "publish", []);

    public const string NotifyStage = "notify";

    /// <summary>The stages a replay may start from: all after receive but merge (whose staged chunks belong to the
    /// attempt that made them).</summary>
    public IReadOnlyList<string> ReplayableStages => Stages.Skip(1).Where(s => s != "merge").ToList();

    public static WorkflowDefinition For(string name) => name switch
    {
        "load" => Loader,
        "convert" => Convertor,
        _ => throw new Errors.SluiceException("workflow.unknown", $"workflow '{name}' is not available in this version of Sluice."),
    };

    /// <summary>The first stage a worker runs (receive is recorded by the trigger when the job is created).</summary>
    public string FirstTaskStage => Stages[1];

    public string? After(string stage)
    {
        var i = IndexOf(stage);
        return i + 1 < Stages.Count ? Stages[i + 1] : null;
    }

    /// <summary>
    /// What runs after <paramref name="stage"/> failed the job: the deciding stage (publish), so the rejects and the
    /// job report still reach the output bucket, unless the failure came from it or before anything was downloaded;
    /// then straight to notify.
    /// </summary>
    public string AfterFailureOf(string stage) =>
        IndexOf(stage) > IndexOf(Stages[1]) && IndexOf(stage) < IndexOf(DecidingStage) ? DecidingStage : NotifyStage;

    public bool RunsInChunks(string stage) => ChunkedStages.Contains(stage);

    public bool IsAfterOutcome(string stage) => IndexOf(stage) > IndexOf(DecidingStage);

    private int IndexOf(string stage)
    {
        for (var i = 0; i < Stages.Count; i++) if (Stages[i] == stage) return i;
        throw new Errors.SluiceException("workflow.stage_unknown", $"stage '{stage}' is not part of workflow {Name}.");
    }
}
