using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Stages.Validate;

/// <summary>The outcome of validation by reconversion, published as <c>validation.json</c> beside the output.</summary>
/// <param name="Passed">True when row count, columns, types and every value match.</param>
/// <param name="SourceRows">Rows read from the source (rejected records excluded, as in the conversion).</param>
/// <param name="ConvertedRows">Rows in the converted file.</param>
/// <param name="Columns">The schema both sides were read with.</param>
/// <param name="MismatchCount">All differences found.</param>
/// <param name="Mismatches">The first differences, in file order.</param>
public sealed record ValidationReport(bool Passed, long SourceRows, long ConvertedRows, JsonArray Columns, long MismatchCount, IReadOnlyList<ValueMismatch> Mismatches)
{
    private static readonly System.Text.Json.JsonSerializerOptions ReportJson = new()
    {
        WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The report's file name.</summary>
    public const string FileName = "validation.json";

    /// <summary>The report as indented JSON.</summary>
    public string ToJson() => new JsonObject
    {
        ["status"] = Passed ? "passed" : "failed",
        ["method"] = "reconversion: the converted file read back, converted to the source's format, and compared with the source row by row",
        ["source_rows"] = SourceRows,
        ["converted_rows"] = ConvertedRows,
        ["columns"] = Columns.DeepClone(),
        ["mismatch_count"] = MismatchCount,
        ["mismatches"] = new JsonArray(Mismatches.Select(m => (JsonNode)new JsonObject
        {
            ["row"] = m.Row, ["source_line"] = m.SourceLine, ["column"] = m.Column, ["source"] = m.Source, ["converted"] = m.Converted,
        }).ToArray()),
    }.ToJsonString(ReportJson);

    /// <summary>One sentence naming the first difference.</summary>
    public string Summary() => Mismatches.Count == 0
        ? $"{SourceRows:N0} rows match"
        : $"{MismatchCount:N0} difference(s); first at row {Mismatches[0].Row} (source line {Mismatches[0].SourceLine}), column '{Mismatches[0].Column}': " +
          $"source {Mismatches[0].Source}, after reconversion {Mismatches[0].Converted}";
}
