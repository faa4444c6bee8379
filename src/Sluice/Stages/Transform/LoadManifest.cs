using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Stages.Transform;

/// <summary>What the load stage needs from transform: the column order of <c>data.pgcopy</c> and its row count.</summary>
public sealed record LoadManifest(
    [property: JsonPropertyName("columns")] IReadOnlyList<string> Columns,
    [property: JsonPropertyName("rows")] long Rows)
{
    public const string FileName = "manifest.json";

    public string ToJson() => JsonSerializer.Serialize(this);

    public static LoadManifest Read(string path) =>
        JsonSerializer.Deserialize<LoadManifest>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty");
}
