using System.Text.Json.Serialization;

namespace Sluice.Control;

/// <summary>One stored log line of a job.</summary>
public sealed record JobLogLine(
    [property: JsonPropertyName("at")] DateTime At,
    [property: JsonPropertyName("level")] string Level,
    [property: JsonPropertyName("worker_id")] string? WorkerId,
    [property: JsonPropertyName("stage")] string? Stage,
    [property: JsonPropertyName("message")] string Message);
