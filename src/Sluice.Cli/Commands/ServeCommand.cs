using System.CommandLine;
using Sluice.Cli.Output;
using Sluice.Hosting;
using Sluice.Server;
using Sluice.Workflows;

namespace Sluice.Cli.Commands;

internal static class ServeCommand
{
    /// <summary>Workers of a serve or worker process unless --workers says otherwise.</summary>
    public static readonly int DefaultWorkers = Math.Max(2, Environment.ProcessorCount);

    public static Command Create()
    {
        var workers = WholeNumberOption.Create("--workers",
            "How many workers this process runs; 0 runs only the trigger and the API, and `sluice worker` processes run the jobs.",
            DefaultWorkers, min: 0);
        var listen = new Option<string?>("--listen")
        {
            Description = $"HOST:PORT for the HTTP API and dashboard (default SLUICE_LISTEN, else {ListenAddress.Default}). " +
                          "Beyond loopback only once an API key exists.",
        };
        var cmd = new Command("serve", """
            Run Sluice: watch the input buckets of every pipeline, open a job for each file that has finished arriving,
            and run the jobs with N workers. Stops on Ctrl+C or SIGTERM: no new tasks are claimed, running stages get a
            grace period, unfinished ones are handed back for the next worker.
            Serves the HTTP API, live events, /metrics and the dashboard on --listen.
            """) { workers, listen };
        cmd.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            var settings = CliAction.Settings();
            var catalog = CliAction.LoadCatalog(settings);
            await using var cp = await CliAction.OpenControlPlaneAsync(settings, ct);
            await using var host = SluiceHost.Create(cp, settings, catalog, CliAction.Log());
            var n = parse.GetValue(workers);
            var address = ListenAddress.Parse(parse.GetValue(listen) ?? (Environment.GetEnvironmentVariable("SLUICE_LISTEN") is { Length: > 0 } l ? l : ListenAddress.Default));
            // Listening first: a refused address then ends the command before the trigger or a worker has taken anything.
            await using var server = await SluiceServer.StartAsync(host, SluiceServerOptions.FromEnvironment(address), ct);
            host.Start(new WorkerOptions { Workers = n, Lease = settings.Lease, Grace = settings.Grace }, watch: true);
            host.StartRetention();
            Terminal.Line($"sluice serve: {catalog.All.Count} pipeline(s) from {settings.PipelinesDirectory}; watching " +
                          $"{string.Join(", ", catalog.InputBuckets.Select(b => host.Buckets.BucketPath(b)).DefaultIfEmpty("no buckets"))}; {(n == 0 ? "no workers (sluice worker processes run the jobs)" : $"{n} worker(s)")}. Ctrl+C stops.");
            if (settings.WorkspaceRetention is { } keep)
                Terminal.Line($"workspace retention: the workspaces of jobs that succeeded more than {Configuration.Durations.Describe(keep)} ago are removed (SLUICE_WORKSPACE_RETENTION)");
            if (settings.HistoryRetention is { } history)
                Terminal.Line($"history retention: events and job log lines older than {Configuration.Durations.Describe(history)} are removed (SLUICE_HISTORY_RETENTION)");
            Terminal.Line($"dashboard and API on {server.Address} (API under {server.Address}api/v1, described at {server.Address}api/v1/openapi.json)");
            if (server.OpenLocally)
                Terminal.Line("no API keys exist: the API is open to callers on this machine only, and serve listens on loopback only. " +
                              "Create a key (./sluice keys create --name NAME --role admin) to require keys and to allow --listen beyond loopback.");
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { }
            Terminal.Line("stopping: finishing running stages…");
            await server.StopAsync(CancellationToken.None);
            await host.StopAsync();
            Terminal.Line("stopped.");
            return 0;
        }));
        return cmd;
    }
}
