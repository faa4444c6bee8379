using System.CommandLine;
using Sluice.Cli.Output;
using Sluice.Postgres;
using Sluice.Postgres.Embedded;

namespace Sluice.Cli.Commands;

internal static class DbCommand
{
    public static Command Create()
    {
        var start = new Command("start", "Start the embedded PostgreSQL (it also starts by itself when needed).");
        start.SetAction((_, _) => CliAction.RunAsync(async ct =>
        {
            var settings = CliAction.Settings();
            if (settings.DatabaseUrl is not null) { Terminal.Line("SLUICE_DATABASE_URL is set: Sluice uses that server, nothing to start."); return 0; }
            var pg = EmbeddedPostgres.For(settings.Home);
            await pg.EnsureRunningAsync(ct);
            Terminal.Line($"embedded PostgreSQL running: psql -h {pg.SocketDirectory} -U postgres {EmbeddedPostgres.DatabaseName}");
            return 0;
        }));
        var stop = new Command("stop", "Stop the embedded PostgreSQL of this SLUICE_HOME.");
        stop.SetAction((_, _) => CliAction.RunAsync(async ct =>
        {
            var settings = CliAction.Settings();
            var pg = EmbeddedPostgres.For(settings.Home);
            Terminal.Line(await pg.StopAsync(ct) ? "embedded PostgreSQL stopped." : "embedded PostgreSQL was not running.");
            return 0;
        }));
        var status = new Command("status", "Say which PostgreSQL Sluice uses and whether it runs. Exit code 0 when it runs (or is external), 3 when the embedded one is stopped, as pg_ctl status.");
        status.SetAction((_, _) => CliAction.RunAsync(async ct =>
        {
            var settings = CliAction.Settings();
            if (settings.DatabaseUrl is { } url) { Console.Out.WriteLine($"external: {DatabaseUrl.Describe(DatabaseUrl.ToConnectionString(url))}"); return 0; }
            var pg = EmbeddedPostgres.For(settings.Home);
            var running = await pg.IsRunningAsync(ct);
            Console.Out.WriteLine($"embedded: {(running ? "running" : "stopped")}  data {pg.DataDirectory}  socket {pg.SocketDirectory}  log {pg.LogFile}");
            return running ? 0 : 3;
        }));
        var url = new Command("url", "Print the connection string of the database Sluice uses (starting the embedded one if needed).");
        url.SetAction((_, _) => CliAction.RunAsync(async ct =>
        {
            var settings = CliAction.Settings();
            Console.Out.WriteLine(settings.DatabaseUrl is { } u
                ? DatabaseUrl.ToConnectionString(u)
                : await EmbeddedPostgres.For(settings.Home).EnsureRunningAsync(ct));
            return 0;
        }));
        return new Command("db", "Manage the embedded PostgreSQL (control plane and default target).") { start, stop, status, url };
    }
}
