using System.CommandLine;
using Sluice.Cli.Output;
using Sluice.Errors;

namespace Sluice.Cli.Commands;

internal static class JobCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "The job id (or a unique prefix of it)." };
        var json = new Option<bool>("--json") { Description = "Print the job as JSON on stdout." };
        var logs = new Option<bool>("--logs") { Description = "Print the job's log lines, from every process that worked on it." };
        var cmd = new Command("job", "Show one job: status, reconciliation counts, stages, attempts, error; or its logs.") { id, json, logs };
        cmd.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            await using var cp = await CliAction.OpenControlPlaneAsync(CliAction.Settings(), ct);
            var text = parse.GetValue(id)!;
            var jobId = await cp.Jobs.ResolveIdAsync(text, ct)
                        ?? throw new SluiceException("job.not_found", $"no job matches '{text}'; list jobs with ./sluice jobs.");
            var view = await cp.Jobs.GetViewAsync(jobId, ct) ?? throw new SluiceException("job.not_found", $"job {jobId} not found.");
            if (parse.GetValue(logs))
            {
                var lines = await cp.Jobs.GetLogsAsync(jobId, ct);
                if (parse.GetValue(json)) JsonOutput.Print(lines);
                else if (lines.Count == 0)
                    // Said on stderr: stdout stays the lines themselves, none here.
                    Terminal.Line($"job {jobId} has no log lines kept: they are stored about a tenth of a second after they are written, " +
                                  "and a history prune (sluice history prune, SLUICE_HISTORY_RETENTION) removes those of jobs that ended long ago.");
                else JobPrinter.PrintLogs(lines);
            }
            else if (parse.GetValue(json)) JsonOutput.Print(view);
            else JobPrinter.PrintOne(view);
            return 0;
        }));
        return cmd;
    }
}
