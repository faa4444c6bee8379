using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Formats;
using Sluice.Pipelines;

namespace Sluice.Stages.Conversion; // not .Convert: that would hide System.Convert in every stage namespace

/// <summary>
/// What the convert stage leaves for validate and publish (<c>convert/convert.json</c>): the formats, the converted file's
/// name, the source's CSV dialect, the dialect a CSV target was written in, and the exact schema used, so that validation
/// reads the source exactly as conversion did and the converted file exactly as it was written.
/// </summary>
/// <param name="Csv">The dialect the source was read with.</param>
/// <param name="TargetCsv">The dialect a CSV target was written in (the default dialect for another format).</param>
public sealed record ConvertManifest(DataFormat SourceFormat, DataFormat TargetFormat, string TargetFile, CsvOptions Csv, CsvOptions TargetCsv,
    IReadOnlyList<ColumnDefinition> Columns)
{
    private static readonly System.Text.Json.JsonSerializerOptions ManifestJson = new() { WriteIndented = true };

    /// <summary>The manifest's file name in the convert folder.</summary>
    public const string FileName = "convert.json";

    /// <summary>The manifest as JSON.</summary>
    public string ToJson() => new JsonObject
    {
        ["source_format"] = DataFormatNames.Name(SourceFormat),
        ["target_format"] = DataFormatNames.Name(TargetFormat),
        ["target_file"] = TargetFile,
        ["csv"] = DialectJson(Csv),
        ["target_csv"] = TargetFormat == DataFormat.Csv ? DialectJson(TargetCsv) : null,
        ["columns"] = ColumnsJson(Columns),
    }.ToJsonString(ManifestJson);

    /// <summary>Columns as a JSON array of {name, type, nullable}, with how the source writes a column's values when
    /// its schema says (format, decimal, group).</summary>
    public static JsonArray ColumnsJson(IReadOnlyList<ColumnDefinition> columns) =>
        new(columns.Select(c =>
        {
            var column = new JsonObject { ["name"] = c.Name, ["type"] = c.Type.ToSql(), ["nullable"] = c.Nullable };
            if (c.Format?.Pattern is { } pattern) column["format"] = pattern;
            if (c.Format?.Decimal is { } point) column["decimal"] = point.ToString();
            if (c.Format?.Group is { } group) column["group"] = group.ToString();
            return (JsonNode)column;
        }).ToArray());

    private static ColumnDefinition ColumnFromJson(JsonNode n)
    {
        var format = new ValueFormat((string?)n["format"], ((string?)n["decimal"])?[0], ((string?)n["group"])?[0]);
        return new ColumnDefinition((string)n["name"]!, ColumnType.Parse((string)n["type"]!), (bool)n["nullable"]!,
            format == new ValueFormat() ? null : format);
    }

    /// <summary>Reads a manifest written by <see cref="ToJson"/>.</summary>
    public static ConvertManifest Parse(string json)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        DataFormatNames.TryParse((string?)o["source_format"], out var source);
        DataFormatNames.TryParse((string?)o["target_format"], out var target);
        var csv = ParseDialect(o["csv"]!.AsObject());
        // A manifest from before targets had their own dialect: the CSV target was written in the source's, in UTF-8.
        var targetCsv = o["target_csv"] is JsonObject written ? ParseDialect(written) : csv with { Encoding = "utf-8" };
        var columns = o["columns"]!.AsArray().Select(n => ColumnFromJson(n!)).ToArray();
        return new ConvertManifest(source, target, (string)o["target_file"]!, csv, targetCsv, columns);
    }

    private static JsonObject DialectJson(CsvOptions csv) => new()
    {
        ["header"] = csv.Header, ["delimiter"] = csv.Delimiter.ToString(), ["quote"] = csv.Quote.ToString(),
        ["escape"] = csv.Escape.ToString(), ["encoding"] = csv.Encoding,
        ["null"] = new JsonArray(csv.NullMarkers.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()),
    };

    private static CsvOptions ParseDialect(JsonObject csv) => CsvOptions.Default with
    {
        Header = (bool)csv["header"]!, Delimiter = ((string)csv["delimiter"]!)[0], Quote = ((string)csv["quote"]!)[0],
        Escape = ((string)csv["escape"]!)[0], Encoding = (string)csv["encoding"]!,
        NullMarkers = csv["null"]!.AsArray().Select(n => (string)n!).ToArray(),
    };
}
