using System.CommandLine;
using System.Text.Json.Nodes;
using Sluice.Cli.Output;
using Sluice.Control;

namespace Sluice.Cli.Commands;

internal static class HistoryCommand
{
    public static Command Create()
    {
        var olderThan = CliAction.OlderThan("Events and log lines (of jobs that ended) written longer ago than this: 30d, 12h (0s: all of them).");
        var dryRun = new Option<bool>("--dry-run") { Description = "Count what would be removed; remove nothing." };
        var json = new Option<bool>("--json") { Description = "Print the outcome as JSON on stdout." };
        var prune = new Command("prune", """
            Remove old rows from the control plane's two fastest-growing tables: events (the outbox behind
            /api/v1/events and the live stream) older than the period, and log lines older than it of jobs that ended
            before it.
            Jobs, their stages, attempts, the load ledger and the audit log stay: exactly-once and replays rest on them.
            A reader of /api/v1/events whose cursor is older than what is left goes on from the oldest event there.
            serve does this by itself with SLUICE_HISTORY_RETENTION.
            """) { olderThan, dryRun, json };
        prune.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            var period = CliAction.Period(parse, olderThan, "90d, 12h or 0s");
            var settings = CliAction.Settings();
            await using var cp = await CliAction.OpenControlPlaneAsync(settings, ct);
            var dry = parse.GetValue(dryRun);
            var result = await new HistoryPruner(cp.DataSource).PruneAsync(period, dry, ct);
            if (!dry && result.Events + result.LogLines > 0)
            {
                await CliAction.AuditAsync(cp, "history.prune", null, new JsonObject
                {
                    ["older_than"] = parse.GetValue(olderThan), ["events"] = result.Events, ["log_lines"] = result.LogLines,
                }, ct);
            }
            if (parse.GetValue(json)) JsonOutput.Print(result);
            else
                Console.Out.WriteLine($"{(dry ? "would remove" : "removed")} {result.Events:N0} event(s) and {result.LogLines:N0} log line(s) " +
                                      $"from before {result.Before:yyyy-MM-dd HH:mm:ss} UTC (log lines only of jobs that had ended by then).");
            return 0;
        }));
        return new Command("history", "Manage the control plane's history (events and job log lines).") { prune };
    }
}
