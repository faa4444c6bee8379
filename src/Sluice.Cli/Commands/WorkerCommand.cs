using System.CommandLine;
using Sluice.Cli.Output;
using Sluice.Hosting;
using Sluice.Pipelines;
using Sluice.Workflows;

namespace Sluice.Cli.Commands;

internal static class WorkerCommand
{
    public static Command Create()
    {
        var workers = WholeNumberOption.Create("--workers", "How many workers this process runs.", ServeCommand.DefaultWorkers, min: 1);
        var cmd = new Command("worker", """
            Run workers only (no trigger): claim tasks from the control plane and run them. Start as many worker
            processes as you like, on as many machines, against one PostgreSQL and shared buckets and workspace.
            Each job carries its own copy of its pipeline, so workers need no pipelines folder.
            """) { workers };
        cmd.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            var settings = CliAction.Settings();
            await using var cp = await CliAction.OpenControlPlaneAsync(settings, ct);
            await using var host = SluiceHost.Create(cp, settings, PipelineCatalog.Empty, CliAction.Log());
            var n = parse.GetValue(workers);
            host.Start(new WorkerOptions { Workers = n, Lease = settings.Lease, Grace = settings.Grace }, watch: false);
            Terminal.Line($"sluice worker: {n} worker(s) on the control plane; Ctrl+C or SIGTERM stops.");
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { }
            await host.StopAsync();
            Terminal.Line("stopped.");
            return 0;
        }));
        return cmd;
    }
}
