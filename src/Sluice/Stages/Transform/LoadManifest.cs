using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Stages.Transform;

/// <summary>What the load stage needs from transform: the column order of <c>data.pgcopy</c>, its row count, and whether
/// transform already loaded it.</summary>
public sealed record LoadManifest(
    [property: JsonPropertyName("columns")] IReadOnlyList<string> Columns,
    [property: JsonPropertyName("rows")] long Rows)
{
    /// <summary>Whether transform loaded the rows itself as it wrote them (a streamed load, committed with its ledger row).</summary>
    [JsonPropertyName("streamed")]
    public bool Streamed { get; init; }

    public const string FileName = "manifest.json";

    public string ToJson() => JsonSerializer.Serialize(this);

    public static LoadManifest Read(string path) =>
        JsonSerializer.Deserialize<LoadManifest>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty");
}
