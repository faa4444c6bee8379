using System.Text.Json.Serialization;

namespace Sluice.Control;

/// <summary>A job as users see it (CLI <c>job --json</c>, the API): status, counts, stages and attempts.</summary>
public sealed record JobView
{
    [JsonPropertyName("id")] public Guid Id { get; init; }
    [JsonPropertyName("pipeline")] public required string Pipeline { get; init; }
    [JsonPropertyName("workflow")] public required string Workflow { get; init; }
    [JsonPropertyName("status")] public required string Status { get; init; }
    [JsonPropertyName("attempt")] public int Attempt { get; init; }
    [JsonPropertyName("source")] public required SourceView Source { get; init; }
    [JsonPropertyName("error")] public ErrorView? Error { get; init; }
    [JsonPropertyName("counts")] public required CountsView Counts { get; init; }
    [JsonPropertyName("workspace")] public required string Workspace { get; init; }
    [JsonPropertyName("created_at")] public DateTime CreatedAt { get; init; }
    [JsonPropertyName("started_at")] public DateTime? StartedAt { get; init; }
    [JsonPropertyName("finished_at")] public DateTime? FinishedAt { get; init; }
    /// <summary>When the job's workspace files were removed (<c>sluice workspace prune</c>, or serve's retention); null
    /// while they are there.</summary>
    [JsonPropertyName("workspace_pruned_at")] public DateTime? WorkspacePrunedAt { get; init; }
    /// <summary>The chunks the file is processed in, or null when processed whole.</summary>
    [JsonPropertyName("chunks")] public int? Chunks { get; init; }
    [JsonPropertyName("stages")] public IReadOnlyList<StageView> Stages { get; init; } = [];
    [JsonPropertyName("attempts")] public IReadOnlyList<AttemptView> Attempts { get; init; } = [];

    public sealed record SourceView(
        [property: JsonPropertyName("bucket")] string Bucket,
        [property: JsonPropertyName("key")] string Key,
        [property: JsonPropertyName("size")] long Size,
        [property: JsonPropertyName("sha256")] string Sha256);

    public sealed record ErrorView(
        [property: JsonPropertyName("code")] string Code,
        [property: JsonPropertyName("message")] string Message);

    public sealed record CountsView(
        [property: JsonPropertyName("read")] long? Read,
        [property: JsonPropertyName("loaded")] long? Loaded,
        [property: JsonPropertyName("rejected")] long? Rejected,
        [property: JsonPropertyName("filtered")] long? Filtered)
    {
        /// <summary>read = loaded + rejected + filtered.</summary>
        [JsonPropertyName("reconciled")]
        public bool Reconciled => Read is { } r && r == (Loaded ?? 0) + (Rejected ?? 0) + (Filtered ?? 0);
    }

    public sealed record StageView(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("attempt")] int Attempt,
        [property: JsonPropertyName("try")] int Try,
        [property: JsonPropertyName("worker_id")] string? WorkerId,
        [property: JsonPropertyName("started_at")] DateTime StartedAt,
        [property: JsonPropertyName("finished_at")] DateTime? FinishedAt,
        [property: JsonPropertyName("duration_ms")] long? DurationMs,
        [property: JsonPropertyName("error")] ErrorView? Error,
        [property: JsonPropertyName("outputs")] System.Text.Json.Nodes.JsonNode? Outputs,
        [property: JsonPropertyName("chunk")] int? Chunk = null);

    public sealed record AttemptView(
        [property: JsonPropertyName("attempt")] int Attempt,
        [property: JsonPropertyName("from_stage")] string FromStage,
        [property: JsonPropertyName("reason")] string? Reason,
        [property: JsonPropertyName("requested_by")] string RequestedBy,
        [property: JsonPropertyName("created_at")] DateTime CreatedAt);
}
