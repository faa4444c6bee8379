using System.Text.Json.Nodes;
using Sluice.Errors;
using Sluice.Formats;
using Sluice.Stages.Conversion;
using Sluice.Stages.Download;

namespace Sluice.Stages.Validate;

/// <summary>
/// Validates the convert stage's output by reconversion (<see cref="ReconversionValidator"/>) and writes
/// <c>validate/validation.json</c>. A difference fails the job; the report (first differing rows with their source
/// lines and columns) is still published beside the output.
/// </summary>
public sealed class ValidateStage : IStage
{
    /// <inheritdoc />
    public string Name => "validate";

    /// <inheritdoc />
    public async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        var ws = context.Workspace.Path;
        var manifestPath = Path.Combine(ws, "convert", ConvertManifest.FileName);
        if (!File.Exists(manifestPath))
            throw new SluiceException("workspace.missing", $"{manifestPath} is missing; replay this job from convert.");
        var manifest = ConvertManifest.Parse(await File.ReadAllTextAsync(manifestPath, ct));
        var source = Path.Combine(ws, "download", DownloadStage.DataFileName(context.Job.SourceKey));
        var converted = Path.Combine(ws, "convert", manifest.TargetFile);
        var outDir = context.Workspace.StageFolder(Name);
        var reconverted = Path.Combine(outDir, "reconverted" + DataFormatNames.Extension(manifest.SourceFormat));
        ValidationReport report;
        try
        {
            report = await Task.Run(() => ReconversionValidator.ValidateAsync(
                source, new FileFormatOptions { Format = manifest.SourceFormat, Csv = manifest.Csv, Schema = manifest.Columns, ScratchFolder = outDir },
                converted, new FileFormatOptions { Format = manifest.TargetFormat, Csv = manifest.TargetCsv }, reconverted, ct), ct);
        }
        catch (DataFileException e)
        {
            throw new SluiceException("validate." + e.Code, $"validation could not read a file: {e.Message}", transient: false, e);
        }
        var reportPath = Path.Combine(outDir, ValidationReport.FileName);
        Storage.FreshFile.WriteAllText(reportPath, report.ToJson());
        File.Delete(reconverted); // as large as the source; the report says all that matters
        var outputs = new JsonObject
        {
            ["report"] = await StageFiles.DescribeAsync(reportPath, ct),
            ["passed"] = report.Passed,
            ["rows"] = report.SourceRows,
            ["mismatches"] = report.MismatchCount,
        };
        context.Info($"validation by reconversion: {report.Summary()}");
        return report.Passed
            ? new StageResult(outputs)
            : new StageResult(outputs, null, new StageFailure("validate.mismatch",
                $"the converted file does not reconvert to the source: {report.Summary()}. See validation.json beside the output."));
    }
}
