using System.CommandLine;
using Sluice.Cli.Output;
using Sluice.Hosting;
using Sluice.Workflows;

namespace Sluice.Cli.Commands;

internal static class ServeCommand
{
    public static Option<int> WorkersOption() =>
        new("--workers") { Description = "How many workers this process runs.", DefaultValueFactory = _ => Math.Max(2, Environment.ProcessorCount) };

    public static Command Create()
    {
        var workers = WorkersOption();
        var cmd = new Command("serve", """
            Run Sluice: watch the input buckets of every pipeline, open a job for each file that has finished arriving,
            and run the jobs with N workers. Stops on Ctrl+C or SIGTERM: no new tasks are claimed, running stages get a
            grace period, unfinished ones are handed back for the next worker.
            """) { workers };
        cmd.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            var settings = CliAction.Settings();
            var catalog = CliAction.LoadCatalog(settings);
            await using var cp = await CliAction.OpenControlPlaneAsync(settings, ct);
            await using var host = SluiceHost.Create(cp, settings, catalog, CliAction.Log());
            var n = parse.GetValue(workers);
            host.Start(new WorkerOptions { Workers = n, Lease = settings.Lease, Grace = settings.Grace }, watch: true);
            Terminal.Line($"sluice serve: {catalog.All.Count} pipeline(s) from {settings.PipelinesDirectory}; watching " +
                          $"{string.Join(", ", catalog.InputBuckets.Select(b => host.Buckets.BucketPath(b)).DefaultIfEmpty("no buckets"))}; {n} worker(s). Ctrl+C stops.");
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { }
            Terminal.Line("stopping: finishing running stages…");
            await host.StopAsync();
            Terminal.Line("stopped.");
            return 0;
        }));
        return cmd;
    }
}
