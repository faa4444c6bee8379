namespace Sluice.Control;

/// <summary>What a worker needs to know about a job to run one of its stages. <see cref="Chunks"/> is the number of
/// chunks its transform and load run in (null: the file is processed whole).</summary>
public sealed record JobRecord(
    Guid Id,
    string Pipeline,
    string Workflow,
    string SourceBucket,
    string SourceKey,
    long SourceSize,
    string SourceSha256,
    string Status,
    int Attempt,
    string PipelineYaml,
    string PipelineFile,
    string Workspace,
    int? Chunks = null);
