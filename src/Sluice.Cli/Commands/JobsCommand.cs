using System.CommandLine;
using Sluice.Cli.Output;

namespace Sluice.Cli.Commands;

internal static class JobsCommand
{
    public static Command Create()
    {
        var status = new Option<string?>("--status") { Description = "Only jobs in this status: queued, running, succeeded, failed." };
        status.AcceptOnlyFromAmong("queued", "running", "succeeded", "failed");
        var pipeline = new Option<string?>("--pipeline") { Description = "Only jobs of this pipeline." };
        var limit = new Option<int>("--limit") { Description = "At most this many jobs, newest first.", DefaultValueFactory = _ => 50 };
        var json = new Option<bool>("--json") { Description = "Print the jobs as a JSON array on stdout." };
        var cmd = new Command("jobs", "List jobs, newest first.") { status, pipeline, limit, json };
        cmd.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            await using var cp = await CliAction.OpenControlPlaneAsync(CliAction.Settings(), ct);
            var jobs = await cp.Jobs.ListAsync(parse.GetValue(status), parse.GetValue(pipeline), parse.GetValue(limit), ct);
            if (parse.GetValue(json)) JsonOutput.Print(jobs);
            else JobPrinter.PrintList(jobs);
            return 0;
        }));
        return cmd;
    }
}
