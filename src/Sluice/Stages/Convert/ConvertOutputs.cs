using Sluice.Stages.Validate;

namespace Sluice.Stages.Conversion; // not .Convert: that would hide System.Convert in every stage namespace

/// <summary>
/// What the publish stage puts in the output bucket for a convert job, beside <c>source/</c> and <c>report.json</c>:
/// the converted file (only when the job has not failed), <c>validation.json</c> and <c>rejects.csv</c>.
/// </summary>
public static class ConvertOutputs
{
    /// <summary>Publishes through <paramref name="put"/> (key, workspace file); missing files are skipped.</summary>
    public static async Task PublishAsync(string workspace, bool failed, Func<string, string, Task> put, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(put);
        var convert = Path.Combine(workspace, "convert");
        var manifest = Path.Combine(convert, ConvertManifest.FileName);
        if (!failed && File.Exists(manifest))
        {
            var target = ConvertManifest.Parse(await File.ReadAllTextAsync(manifest, ct)).TargetFile;
            await put(target, Path.Combine(convert, target));
        }
        await put(ValidationReport.FileName, Path.Combine(workspace, "validate", ValidationReport.FileName));
        await put("rejects.csv", Path.Combine(convert, "rejects.csv"));
    }
}
