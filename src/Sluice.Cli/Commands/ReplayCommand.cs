using System.CommandLine;
using System.Globalization;
using Sluice.Cli.Output;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Hosting;
using Sluice.Observability;
using Sluice.Pipelines;
using Sluice.Workflows;

namespace Sluice.Cli.Commands;

internal static class ReplayCommand
{
    public static Command Create()
    {
        var id = new Argument<string?>("id") { Description = "The job to replay (or a unique prefix of its id).", Arity = ArgumentArity.ZeroOrOne };
        var from = new Option<string?>("--from") { Description = "The stage to start from: download, transform, load, publish or notify. Earlier stages' outputs are reused after their checksums are checked." };
        var reason = new Option<string?>("--reason") { Description = "Why: recorded in the job's history of attempts." };
        var failed = new Option<bool>("--failed") { Description = "Replay every failed job (from the stage that failed)." };
        var pipeline = new Option<string?>("--pipeline") { Description = "With --failed: only jobs of this pipeline." };
        var since = new Option<string?>("--since") { Description = "With --failed: only jobs created at or after this time (ISO 8601, e.g. 2026-11-29T08:00Z)." };
        var enqueue = new Option<bool>("--enqueue") { Description = "Only queue the new attempt for a running serve or worker; do not wait." };
        var json = new Option<bool>("--json") { Description = "Print the finished job as JSON on stdout (with --failed: an array of jobs)." };
        var cmd = new Command("replay", """
            Run an ended job again from a stage, as a new attempt (who, when, why and from where are recorded).
            The pipeline is read again from its file, so a fixed definition applies. A replay of load replaces the
            rows the job loaded before in one transaction: no duplicates, and readers never see the table without them.
            Waits for the end with workers in this process and exits 0 only if every replayed job succeeded.
            """) { id, from, reason, failed, pipeline, since, enqueue, json };
        cmd.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            var settings = CliAction.Settings();
            await using var cp = await CliAction.OpenControlPlaneAsync(settings, ct);
            var replay = new JobReplay(cp);
            var who = CliAction.Who();
            var text = parse.GetValue(reason);
            var jobs = new List<Guid>();
            if (parse.GetValue(failed))
            {
                DateTime? sinceTime = parse.GetValue(since) is { } s
                    ? DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
                        ? t : throw new SluiceException("replay.since", $"--since '{s}' is not a time; use ISO 8601 such as 2026-11-29T08:00Z.")
                    : null;
                foreach (var (jobId, stage) in await replay.FailedJobsAsync(parse.GetValue(pipeline), sinceTime, ct))
                {
                    var start = parse.GetValue(from) ?? stage;
                    try
                    {
                        var attempt = await replay.ReplayAsync(jobId, start, text ?? "bulk replay of failed jobs", who, ct);
                        Terminal.Line($"job {jobId}: attempt {attempt} from {start}");
                        jobs.Add(jobId);
                    }
                    catch (SluiceException e) { Terminal.Line($"job {jobId}: not replayed: {e.Message}"); }
                }
                if (jobs.Count == 0) { Terminal.Line("no failed jobs to replay."); return 0; }
            }
            else
            {
                var idText = parse.GetValue(id) ?? throw new SluiceException("replay.usage", "give a job id, or --failed for every failed job.");
                var stage = parse.GetValue(from) ?? throw new SluiceException("replay.usage", "say where to start with --from (download, transform, load, publish, notify).");
                var jobId = await cp.Jobs.ResolveIdAsync(idText, ct) ?? throw new SluiceException("job.not_found", $"no job matches '{idText}'.");
                var attempt = await replay.ReplayAsync(jobId, stage, text, who, ct);
                Terminal.Line($"job {jobId}: attempt {attempt} from {stage}");
                jobs.Add(jobId);
            }
            if (parse.GetValue(enqueue)) return 0;

            await using var host = SluiceHost.Create(cp, settings, PipelineCatalog.Empty, CliAction.Log(LogLevel.Warn));
            host.Start(new WorkerOptions { Workers = Math.Min(jobs.Count, 4), Lease = settings.Lease, OnlyJobs = jobs }, watch: false);
            await JobWaiter.WaitAsync(cp, jobs, TimeSpan.FromMilliseconds(100), ct);
            await host.StopAsync();
            var views = new List<JobView>();
            foreach (var j in jobs) views.Add((await cp.Jobs.GetViewAsync(j, ct))!);
            if (parse.GetValue(json)) { if (parse.GetValue(failed)) JsonOutput.Print(views); else JsonOutput.Print(views[0]); }
            else if (views.Count == 1) JobPrinter.PrintOne(views[0]);
            else JobPrinter.PrintList(views);
            return views.All(v => v.Status == "succeeded") ? 0 : CliAction.Failed;
        }));
        return cmd;
    }
}
