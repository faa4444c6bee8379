using System.CommandLine;
using System.Globalization;
using System.Text.Json.Serialization;
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
        var from = new Option<string?>("--from") { Description = "The stage to start from: download, transform, load, publish or notify (a convert job: download, convert, validate, publish or notify). Earlier stages' outputs are reused after their checksums are checked." };
        var reason = new Option<string?>("--reason") { Description = "Why: recorded in the job's history of attempts." };
        var failed = new Option<bool>("--failed") { Description = "Replay every failed job (from the stage that failed)." };
        var pipeline = new Option<string?>("--pipeline") { Description = "With --failed: only jobs of this pipeline." };
        var since = new Option<string?>("--since") { Description = "With --failed: only jobs created at or after this time (ISO 8601, e.g. 2026-11-29T08:00Z)." };
        var enqueue = new Option<bool>("--enqueue") { Description = "Only queue the new attempt for a running serve or worker; do not wait." };
        var json = new Option<bool>("--json")
        {
            Description = "Print the finished job as JSON on stdout; with --enqueue the queued attempt ({job_id, attempt, from}). " +
                          "With --failed: {replayed, refused, jobs}, the attempts queued, the jobs refused with their error, and the finished jobs.",
        };
        var cmd = new Command("replay", """
            Run an ended job again from a stage, as a new attempt (who, when, why and from where are recorded).
            The pipeline is read again from its file, so a fixed definition applies. A replay of load replaces the
            rows the job loaded before in one transaction: no duplicates, and readers never see the table without them.
            Waits for the end with workers in this process and exits 0 only if every replayed job succeeded and none
            was refused.
            """) { id, from, reason, failed, pipeline, since, enqueue, json };
        cmd.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            var idText = parse.GetValue(id);
            if (parse.GetValue(failed) && idText is not null)
                throw new SluiceException("replay.usage",
                    $"give a job id or --failed, not both: --failed replays every failed job (narrow it with --pipeline and --since); drop '{idText}' or --failed.");
            if (!parse.GetValue(failed) && (parse.GetValue(pipeline) is not null || parse.GetValue(since) is not null))
                throw new SluiceException("replay.usage", "--pipeline and --since choose which failed jobs --failed replays; add --failed, or leave them out to replay one job by its id.");

            var settings = CliAction.Settings();
            await using var cp = await CliAction.OpenControlPlaneAsync(settings, ct);
            var replay = new JobReplay(cp);
            var who = CliAction.Who();
            var text = parse.GetValue(reason);
            var replayed = new List<ReplayedAttempt>();
            var refused = new List<object>();
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
                        replayed.Add(new ReplayedAttempt(jobId, attempt, start));
                    }
                    catch (SluiceException e)
                    {
                        Terminal.Line($"job {jobId}: not replayed: {e.Message}");
                        refused.Add(new { job_id = jobId, error = new { code = e.Code, message = e.Message } });
                    }
                }
            }
            else
            {
                if (idText is null) throw new SluiceException("replay.usage", "give a job id, or --failed for every failed job.");
                var jobId = await cp.Jobs.ResolveIdAsync(idText, ct) ?? throw new SluiceException("job.not_found", $"no job matches '{idText}'.");
                var stage = parse.GetValue(from) ?? throw new SluiceException("replay.usage",
                    $"say where to start with --from ({string.Join(", ", await ReplayableStagesAsync(cp, jobId, ct))}).");
                var attempt = await replay.ReplayAsync(jobId, stage, text, who, ct);
                Terminal.Line($"job {jobId}: attempt {attempt} from {stage}");
                replayed.Add(new ReplayedAttempt(jobId, attempt, stage));
            }
            if (replayed.Count == 0)
                Terminal.Line(refused.Count == 0 ? "no failed jobs to replay." : $"none of the {refused.Count} failed job(s) was replayed: every one was refused (see above).");
            else if (refused.Count > 0) Terminal.Line($"{replayed.Count} job(s) replayed, {refused.Count} refused (see above).");

            // Waited on here unless only queued (for a running serve or worker).
            var enqueued = parse.GetValue(enqueue);
            var views = new List<JobView>();
            if (!enqueued && replayed.Count > 0)
            {
                var jobs = replayed.Select(r => r.JobId).ToList();
                await using var host = SluiceHost.Create(cp, settings, PipelineCatalog.Empty, CliAction.Log(LogLevel.Warn));
                host.Start(new WorkerOptions { Workers = Math.Min(jobs.Count, 4), Lease = settings.Lease, OnlyJobs = jobs }, watch: false);
                await JobWaiter.WaitAsync(cp, jobs, TimeSpan.FromMilliseconds(100), ct);
                await host.StopAsync();
                foreach (var j in jobs) views.Add((await cp.Jobs.GetViewAsync(j, ct))!);
            }
            if (parse.GetValue(json))
            {
                if (parse.GetValue(failed) && enqueued) JsonOutput.Print(new { replayed, refused });
                else if (parse.GetValue(failed)) JsonOutput.Print(new { replayed, refused, jobs = views });
                else if (enqueued) JsonOutput.Print(replayed[0]);
                else JsonOutput.Print(views[0]);
            }
            else if (views.Count == 1) JobPrinter.PrintOne(views[0]);
            else if (views.Count > 1) JobPrinter.PrintList(views);
            return refused.Count == 0 && views.All(v => v.Status == "succeeded") ? 0 : CliAction.Failed;
        }));
        return cmd;
    }

    /// <summary>The stages the job's workflow may be replayed from.</summary>
    private static async Task<IReadOnlyList<string>> ReplayableStagesAsync(ControlPlane cp, Guid jobId, CancellationToken ct) =>
        await cp.Jobs.GetAsync(jobId, ct) is { } job ? Workflows.WorkflowDefinition.For(job.Workflow).ReplayableStages : Workflows.WorkflowDefinition.Loader.ReplayableStages;

    /// <summary>A replay queued: the job, its new attempt and the stage it starts from (as the API answers a replay).</summary>
    private sealed record ReplayedAttempt(
        [property: JsonPropertyName("job_id")] Guid JobId,
        [property: JsonPropertyName("attempt")] int Attempt,
        [property: JsonPropertyName("from")] string From);
}
