using System.Text.Json.Nodes;
using Sluice.Formats;
using Sluice.Stages.Conversion;
using Sluice.Stages.Validate;

namespace Sluice.Cli.Output;

/// <summary>What <c>sluice convert --json</c> prints: the files, formats, counts, columns, first reject and validation.</summary>
internal sealed record ConvertOutcome(string Input, string Output, DataFormat From, DataFormat To, ConversionResult Result)
{
    public JsonObject ToJson(string? rejectsFile, ValidationReport? validation, string? validationFile) => new()
    {
        ["input"] = Input,
        ["output"] = Output,
        ["from"] = DataFormatNames.Name(From),
        ["to"] = DataFormatNames.Name(To),
        ["status"] = Result.Rejected > 0 || validation is { Passed: false } ? "failed" : "succeeded",
        ["read"] = Result.Read,
        ["written"] = Result.Written,
        ["rejected"] = Result.Rejected,
        ["columns"] = ConvertManifest.ColumnsJson(Result.Columns),
        ["first_reject"] = Result.FirstReject is { } r
            ? new JsonObject { ["line"] = r.Line, ["column"] = r.Column, ["reason"] = r.Reason }
            : null,
        ["rejects_file"] = rejectsFile,
        ["validation"] = validation is null
            ? null
            : new JsonObject
            {
                ["status"] = validation.Passed ? "passed" : "failed", ["source_rows"] = validation.SourceRows,
                ["converted_rows"] = validation.ConvertedRows, ["mismatch_count"] = validation.MismatchCount, ["report"] = validationFile,
            },
        ["warnings"] = new JsonArray(Result.Warnings.Select(w => (JsonNode)JsonValue.Create(w)).ToArray()),
    };
}
