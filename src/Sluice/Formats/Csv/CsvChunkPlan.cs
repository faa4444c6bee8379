using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Formats.Csv;

/// <summary>
/// How a CSV file is split into chunks that can be parsed independently: the header's length, and each chunk's byte
/// range and first line. Written by the download stage as <c>chunks.json</c>; read by each chunk's transform.
/// </summary>
public sealed record CsvChunkPlan(long FileSize, long HeaderBytes, IReadOnlyList<CsvChunk> Chunks)
{
    public const string FileName = "chunks.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static CsvChunkPlan Read(string path) =>
        JsonSerializer.Deserialize<CsvChunkPlan>(File.ReadAllText(path), Json)
        ?? throw new InvalidDataException($"{path} holds no chunk plan");
}
