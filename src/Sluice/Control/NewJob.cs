namespace Sluice.Control;

/// <summary>An arrived object routed to a pipeline: everything the receive stage records.</summary>
public sealed record NewJob(
    string Pipeline,
    string Workflow,
    string Bucket,
    string Key,
    long Size,
    string Sha256,
    string PipelineYaml,
    string PipelineFile,
    string RequestedBy,
    string FirstStage,
    int MaxTries,
    TimeSpan Backoff);
