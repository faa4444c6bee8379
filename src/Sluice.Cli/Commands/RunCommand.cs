using System.CommandLine;
using Sluice.Cli.Output;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Hosting;
using Sluice.Observability;
using Sluice.Pipelines;
using Sluice.Storage;
using Sluice.Trigger;
using Sluice.Workflows;
using Spectre.Console;

namespace Sluice.Cli.Commands;

internal static class RunCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "The file to process." };
        var pipelineOpt = new Option<string?>("--pipeline") { Description = "The pipeline to use; by default the one whose match pattern fits the file's path." };
        var json = new Option<bool>("--json") { Description = "Print the finished job as JSON on stdout (progress and logs go to stderr)." };
        var cmd = new Command("run", """
            Carry one file through its pipeline now, with workers in this process, and wait for the end.
            Exit code 0 when the job succeeded, 1 when it failed. The same content under the same key is the same job:
            running a file twice reports the first job.
            """) { file, pipelineOpt, json };
        cmd.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            var settings = CliAction.Settings();
            var path = parse.GetValue(file)!;
            if (!path.Exists) throw new SluiceException("run.no_file", $"{path.FullName} does not exist.");
            var catalog = CliAction.LoadCatalog(settings);
            await using var cp = await CliAction.OpenControlPlaneAsync(settings, ct);
            var asJson = parse.GetValue(json);
            await using var host = SluiceHost.Create(cp, settings, catalog, CliAction.Log(asJson || Terminal.IsInteractive ? LogLevel.Warn : LogLevel.Info));

            var (pipeline, key) = Choose(catalog, path, parse.GetValue(pipelineOpt));
            var buckets = host.Buckets;
            var bucketFile = buckets.ObjectPath(pipeline.Bucket, key);
            Trigger.JobIntake.Outcome outcome;
            try
            {
                if (!string.Equals(Path.GetFullPath(path.FullName), bucketFile, StringComparison.Ordinal))
                    await buckets.PutFileAsync(pipeline.Bucket, key, path.FullName, ct);
                outcome = await host.Intake.ReceiveFileAsync(pipeline.Bucket, key, bucketFile, new FileInfo(bucketFile).Length, pipeline, "cli:run", ct);
            }
            catch (IOException e)
            {
                // The bucket's copy is often the same file (a hard link): named as the user gave it.
                throw new SluiceException("io.error", $"cannot read {path.FullName} (taken as {pipeline.Bucket}/{key}): {e.Message.TrimEnd('.')}; " +
                                                      "if another program is still writing it, run again once it is done.");
            }
            if (outcome.Incomplete)
                throw new SluiceException("run.file_changing", $"{bucketFile} changed while Sluice read it; run again once it is written completely.");
            var jobId = outcome.JobId!.Value;
            if (!outcome.Created && (await cp.Jobs.GetAsync(jobId, ct))?.Pipeline is { } earlier && earlier != pipeline.Name)
                // The same content under the same key is one job whatever the pipeline: waiting on it would report
                // another pipeline's outcome as this one's.
                throw new SluiceException("run.other_pipeline",
                    $"this content already arrived as {pipeline.Bucket}/{key} and is job {jobId} of pipeline {earlier}, not {pipeline.Name}; " +
                    $"to load it through {pipeline.Name} too, put it under a key {pipeline.Name} takes (match: {pipeline.Match}) and run that file.");
            if (!outcome.Created)
                Terminal.Line($"this content already arrived as {pipeline.Bucket}/{key}: job {jobId}; to load it again: ./sluice replay {jobId} --from load");

            long rows = 0;
            // One worker per core: a large file's chunks are transformed and loaded side by side.
            host.Start(new WorkerOptions { Workers = Environment.ProcessorCount, OnlyJobs = [jobId], Lease = settings.Lease }, watch: false,
                rowsProgress: (_, _, n) => Interlocked.Exchange(ref rows, n));
            await WaitWithProgressAsync(cp, jobId, () => Interlocked.Read(ref rows), ct);
            await host.StopAsync();

            var view = (await cp.Jobs.GetViewAsync(jobId, ct))!;
            if (asJson) JsonOutput.Print(view);
            else JobPrinter.PrintOne(view);
            return view.Status == "succeeded" ? 0 : CliAction.Failed;
        }));
        return cmd;
    }

    private static async Task WaitWithProgressAsync(ControlPlane cp, Guid jobId, Func<long> rows, CancellationToken ct)
    {
        if (!Terminal.IsInteractive)
        {
            await JobWaiter.WaitAsync(cp, [jobId], TimeSpan.FromMilliseconds(100), ct);
            return;
        }
        await Terminal.Err.Status().StartAsync("starting", async status =>
        {
            var wait = JobWaiter.WaitAsync(cp, [jobId], TimeSpan.FromMilliseconds(100), ct);
            while (!wait.IsCompleted)
            {
                var stage = await JobWaiter.CurrentStageAsync(cp, jobId, ct) ?? "finishing";
                var n = rows();
                status.Status(Markup.Escape($"job {jobId}: {stage}{(n > 0 && stage == "transform" ? $" — {n:N0} rows" : "")}"));
                await Task.WhenAny(wait, Task.Delay(200, ct));
            }
            await wait;
        });
    }

    /// <summary>The pipeline for a file: the named one, or the single pipeline whose pattern matches a tail of the file's path.</summary>
    private static (Pipeline Pipeline, string Key) Choose(PipelineCatalog catalog, FileInfo file, string? name)
    {
        var segments = Path.GetFullPath(file.FullName).Split('/', StringSplitOptions.RemoveEmptyEntries);
        var tails = Enumerable.Range(0, segments.Length).Select(i => string.Join('/', segments[^(i + 1)..])).ToList();
        if (name is not null)
        {
            var p = catalog.Find(name) ?? throw new SluiceException("run.no_pipeline",
                $"no pipeline named '{name}' in {string.Join(", ", catalog.All.Select(x => x.Name).DefaultIfEmpty("(none)"))}; pipelines are read from SLUICE_PIPELINES.");
            var glob = new KeyGlob(p.Match);
            return (p, tails.FirstOrDefault(glob.IsMatch) ?? segments[^1]);
        }
        var matches = catalog.All
            .Select(p => (p, key: tails.FirstOrDefault(new KeyGlob(p.Match).IsMatch)))
            .Where(x => x.key is not null).ToList();
        return matches.Count switch
        {
            1 => (matches[0].p, matches[0].key!),
            0 => throw new SluiceException("run.no_match",
                $"no pipeline's match pattern fits {file.FullName}; choose one with --pipeline ({string.Join(", ", catalog.All.Select(x => x.Name).DefaultIfEmpty("no pipelines found in SLUICE_PIPELINES"))})."),
            _ => throw new SluiceException("run.ambiguous",
                $"{file.Name} fits pipelines {string.Join(" and ", matches.Select(m => m.p.Name))}; choose one with --pipeline."),
        };
    }
}
