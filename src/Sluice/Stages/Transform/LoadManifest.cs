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

    /// <summary>The type each column's values were encoded as (<see cref="Pipelines.ColumnType.ToSql"/>), in the order of
    /// <see cref="Columns"/> without the lineage column; null in artifacts written before types were recorded.</summary>
    [JsonPropertyName("types")]
    public IReadOnlyList<string>? Types { get; init; }

    /// <summary>The columns with their types, for checking the target (<see cref="Postgres.TargetColumns"/>); null when
    /// the artifact does not say.</summary>
    public IReadOnlyList<Pipelines.ColumnDefinition>? Definitions() =>
        Types?.Select((type, i) => new Pipelines.ColumnDefinition(Columns[i], Pipelines.ColumnType.Parse(type))).ToList();

    public const string FileName = "manifest.json";

    public string ToJson() => JsonSerializer.Serialize(this);

    public static LoadManifest Read(string path) =>
        JsonSerializer.Deserialize<LoadManifest>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty");
}
