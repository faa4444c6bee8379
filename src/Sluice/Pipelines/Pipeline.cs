namespace Sluice.Pipelines;

/// <summary>
/// A validated pipeline: which objects it takes, which workflow carries them, and where they go.
/// Built only by <see cref="PipelineLoader"/>, so every instance has passed validation.
/// </summary>
public sealed record Pipeline
{
    public required string Name { get; init; }
    /// <summary>The YAML file it was read from (for messages).</summary>
    public required string SourceFile { get; init; }
    public required string Bucket { get; init; }
    /// <summary>Glob on the object key: <c>*</c> within a folder, <c>**</c> across folders, <c>?</c> one character.</summary>
    public required string Match { get; init; }
    public WorkflowKind Workflow { get; init; } = WorkflowKind.Load;
    public string SourceFormat { get; init; } = "csv";
    public CsvOptions Csv { get; init; } = CsvOptions.Default;
    /// <summary>Declared columns in order; null means infer from a sample.</summary>
    public IReadOnlyList<ColumnDefinition>? Schema { get; init; }
    public TargetDefinition? Target { get; init; }
    /// <summary>The target format of a convert pipeline; null for load pipelines.</summary>
    public ConvertTarget? Convert { get; init; }
    /// <summary>The bucket receiving the source, artifacts and report.</summary>
    public string OutputBucket { get; init; } = "processed";
    public IReadOnlyList<NotifierDefinition> Notify { get; init; } = [];
    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;
    public RejectPolicy Rejects { get; init; } = RejectPolicy.None;
    /// <summary>When a large file is split into chunks loaded in parallel (load pipelines).</summary>
    public ChunkPolicy Chunk { get; init; } = ChunkPolicy.Default;
}
