using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Sluice.Cli.Output;
using Sluice.Control;
using Sluice.Storage;

namespace Sluice.Cli.Commands;

internal static class WorkspaceCommand
{
    public static Command Create()
    {
        var olderThan = CliAction.OlderThan(
            "Only jobs that ended longer ago than this: 30m, 12h, 7d (0s: every ended job whose tasks have not changed for a lease, SLUICE_LEASE_SECONDS).");
        var failed = new Option<bool>("--failed")
        {
            Description = "Failed jobs too. Without it they keep their workspaces: a replay from the failed stage reads them.",
        };
        var pipeline = new Option<string?>("--pipeline") { Description = "Only jobs of this pipeline." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be removed; remove nothing." };
        var json = new Option<bool>("--json") { Description = "Print the outcome as JSON on stdout." };
        var prune = new Command("prune", """
            Remove the workspace folders of jobs that ended a while ago: the arrival copy, the load artifacts and the
            rejects each job kept under SLUICE_WORKSPACE. What publish put in the output bucket stays. Jobs with work
            queued or running are never touched. A pruned job shows when in `job`; it can still be replayed from
            download (which fetches the source again), not from a later stage. serve does this by itself with
            SLUICE_WORKSPACE_RETENTION (succeeded jobs only).
            """) { olderThan, failed, pipeline, dryRun, json };
        prune.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            var period = CliAction.Period(parse, olderThan, "7d, 12h, 30m or 0s");
            var settings = CliAction.Settings();
            await using var cp = await CliAction.OpenControlPlaneAsync(settings, ct);
            var options = new WorkspacePruner.Options(period, parse.GetValue(failed), parse.GetValue(pipeline), parse.GetValue(dryRun));
            var result = await new WorkspacePruner(cp.DataSource, settings.WorkspaceRoot, settings.Lease).PruneAsync(options, ct);
            if (!options.DryRun && (result.Jobs > 0 || result.Failed.Count > 0))
            {
                await CliAction.AuditAsync(cp, "workspace.prune", options.Pipeline, new JsonObject
                {
                    ["older_than"] = parse.GetValue(olderThan), ["include_failed"] = options.IncludeFailed, ["jobs"] = result.Jobs, ["files"] = result.Files,
                    ["bytes"] = result.Bytes, ["left_alone"] = result.LeftAlone.Count, ["failed"] = result.Failed.Count,
                }, ct);
            }
            if (parse.GetValue(json)) JsonOutput.Print(result);
            else Print(result, settings.WorkspaceRoot);
            // A folder that could not be removed needs someone; one that is not this root's to remove is only reported.
            return result.Failed.Count == 0 ? 0 : CliAction.Failed;
        }));
        return new Command("workspace", "Manage the job workspaces under SLUICE_WORKSPACE (each job's own files, kept for replay).") { prune };
    }

    private static void Print(WorkspacePruner.Result r, string root)
    {
        var verb = r.DryRun ? "would remove" : "removed";
        var ended = $"{r.EndedBefore:yyyy-MM-dd HH:mm:ss} UTC";
        var gone = r.AlreadyGone > 0 ? $" ({r.AlreadyGone:N0} of them had no folder left: only marked)" : "";
        Console.Out.WriteLine(r.Jobs == 0
            ? $"nothing to remove under {root} from jobs that ended before {ended}."
            : $"{verb} the workspaces of {r.Jobs:N0} job(s) that ended before {ended}: {r.Files:N0} files, {Size(r.Bytes)}{gone}.");
        if (r.FailedKept > 0)
            Console.Out.WriteLine($"kept the workspaces of {r.FailedKept:N0} failed job(s) that ended before then, for replay; add --failed to remove them too.");
        foreach (var s in r.LeftAlone) Terminal.Line($"left alone: job {s.JobId}: {s.Workspace}: {s.Reason}");
        foreach (var s in r.Failed) Terminal.Line($"error: job {s.JobId}: {s.Reason}");
    }

    /// <summary>A byte count as people read it (files published by hard link share their bytes with the workspace:
    /// the space comes back when both are gone).</summary>
    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} bytes",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0 KiB", CultureInfo.InvariantCulture),
        < 1024L * 1024 * 1024 => (bytes / 1048576.0).ToString("0.0 MiB", CultureInfo.InvariantCulture),
        _ => (bytes / 1073741824.0).ToString("0.00 GiB", CultureInfo.InvariantCulture),
    };
}
