using System.CommandLine;
using Sluice.Cli.Output;
using Spectre.Console;

namespace Sluice.Cli.Commands;

internal static class JobsCommand
{
    public static Command Create()
    {
        var status = new Option<string?>("--status") { Description = "Only jobs in this status: queued, running, succeeded, failed." };
        status.AcceptOnlyFromAmong("queued", "running", "succeeded", "failed");
        var pipeline = new Option<string?>("--pipeline") { Description = "Only jobs of this pipeline." };
        var limit = WholeNumberOption.Create("--limit", "At most this many jobs, newest first.", defaultValue: 50, min: 1);
        var json = new Option<bool>("--json") { Description = "Print the jobs as a JSON array on stdout." };
        var cmd = new Command("jobs", "List jobs, newest first.") { status, pipeline, limit, json };
        cmd.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            await using var cp = await CliAction.OpenControlPlaneAsync(CliAction.Settings(), ct);
            var (onlyStatus, onlyPipeline) = (parse.GetValue(status), parse.GetValue(pipeline));
            var jobs = await cp.Jobs.ListAsync(onlyStatus, onlyPipeline, parse.GetValue(limit), ct);
            if (parse.GetValue(json)) JsonOutput.Print(jobs);
            else if (jobs.Count > 0) JobPrinter.PrintList(jobs);
            else if (onlyStatus is not null || onlyPipeline is not null)
                Terminal.Out.WriteLine("no job matches these filters (--status, --pipeline); ./sluice jobs lists every job.");
            else Terminal.Out.WriteLine("no jobs yet: drop a file into an input bucket, or try ./sluice demo");
            return 0;
        }));
        return cmd;
    }
}
