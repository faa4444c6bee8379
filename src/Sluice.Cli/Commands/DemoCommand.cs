using System.Collections.Concurrent;
using System.CommandLine;
using Npgsql;
using Sluice.Cli.Output;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Hosting;
using Sluice.Observability;
using Sluice.Pipelines;
using Sluice.Postgres.Embedded;
using Sluice.Samples;
using Sluice.Workflows;
using Spectre.Console;

namespace Sluice.Cli.Commands;

internal static class DemoCommand
{
    private const string Bucket = "inbox";
    private const string Table = "public.demo_payments";
    private const string PipelineName = "payments-demo";

    public static Command Create()
    {
        var files = new Option<int>("--files") { Description = "How many payment files to generate.", DefaultValueFactory = _ => 3 };
        var rows = new Option<int>("--rows") { Description = "Rows in the first file (each next file has 1,000 more).", DefaultValueFactory = _ => 3000 };
        var cmd = new Command("demo", """
            Show Sluice end to end on the embedded defaults: write a sample pipeline and a few generated payments CSVs,
            drop them into the inbox bucket, run them through the same machinery as `serve` (folder trigger, router,
            workers), and print a summary: jobs, stage timings, rows loaded, and where to look.
            """) { files, rows };
        cmd.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            var settings = CliAction.Settings() with { Settle = TimeSpan.FromMilliseconds(300) };
            var demoDir = Path.Combine(settings.Home, "demo");
            var pipelinesDir = Path.Combine(demoDir, "pipelines");
            Directory.CreateDirectory(pipelinesDir);
            await File.WriteAllTextAsync(Path.Combine(pipelinesDir, "payments.yaml"), PipelineYaml, ct);
            var catalog = PipelineLoader.LoadDirectory(pipelinesDir);

            Terminal.Line($"sluice demo: home {settings.Home}");
            Terminal.Line(settings.DatabaseUrl is null ? "  starting the embedded PostgreSQL…" : "  using SLUICE_DATABASE_URL");
            await using var cp = await ControlPlane.OpenAsync(settings, ct);
            await using var host = SluiceHost.Create(cp, settings, catalog, CliAction.Log(LogLevel.Warn));
            var created = new ConcurrentBag<Guid>();
            host.Intake.JobCreated += created.Add;
            host.Start(new WorkerOptions { Workers = 2, Lease = settings.Lease }, watch: true);

            // Generate beside the bucket, then move in: the trigger must never see a half-written file.
            var staging = Path.Combine(demoDir, "generated");
            Directory.CreateDirectory(staging);
            var n = parse.GetValue(files);
            var firstRows = parse.GetValue(rows);
            var runId = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss");
            var baseId = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
            long expectedRows = 0, expectedCents = 0;
            var dropped = new List<string>();
            for (var i = 0; i < n; i++)
            {
                var name = $"payments-{runId}-{i + 1}.csv";
                var path = Path.Combine(staging, name);
                var summary = PaymentsCsv.Write(path, firstRows + 1000 * i, seed: Environment.TickCount + i, firstId: baseId + i * 1_000_000L);
                expectedRows += summary.Rows;
                expectedCents += summary.AmountCents;
                var target = host.Buckets.ObjectPath(Bucket, $"payments/{name}");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(path, target);
                dropped.Add($"payments/{name}");
                Terminal.Line($"  dropped {Bucket}/payments/{name} ({summary.Rows:N0} rows, {summary.Bytes:N0} bytes)");
            }

            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (created.Count < n)
            {
                if (await TakenElsewhereAsync(cp, dropped, ct) is { } taken)
                    throw new SluiceException("demo.taken", $"{Bucket}/{taken.Key} was taken by pipeline {taken.Pipeline} (job {taken.Job}), not by the demo's: " +
                        $"another Sluice process watches {settings.BucketsRoot} (a `sluice serve` with this SLUICE_HOME?). Stop it, or run the demo with another SLUICE_HOME.");
                if (DateTime.UtcNow > deadline) throw new SluiceException("demo.timeout", $"only {created.Count} of {n} files were picked up within 2 minutes; see the log lines above.");
                await Task.Delay(100, ct);
            }
            await JobWaiter.WaitAsync(cp, created.ToArray(), TimeSpan.FromMilliseconds(100), ct,
                done => Terminal.Line($"  {done}/{n} jobs finished"));
            await host.StopAsync();

            var jobs = new List<JobView>();
            foreach (var id in created.OrderBy(x => x)) jobs.Add((await cp.Jobs.GetViewAsync(id, ct))!);
            await PrintSummaryAsync(cp, settings, jobs, expectedRows, expectedCents, ct);
            return jobs.All(j => j.Status == "succeeded") ? 0 : CliAction.Failed;
        }));
        return cmd;
    }

    /// <summary>A dropped file whose job belongs to another pipeline than the demo's: another process took it.</summary>
    private static async Task<(string Key, string Pipeline, Guid Job)?> TakenElsewhereAsync(ControlPlane cp, List<string> keys, CancellationToken ct)
    {
        await using var cmd = cp.DataSource.CreateCommand(
            "select source_key, pipeline, id from sluice.jobs where source_bucket = $1 and source_key = any($2) and pipeline <> $3 limit 1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = Bucket });
        cmd.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = PipelineName });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? (r.GetString(0), r.GetString(1), r.GetGuid(2)) : null;
    }

    private static async Task PrintSummaryAsync(ControlPlane cp, Configuration.SluiceSettings settings, List<JobView> jobs,
        long expectedRows, long expectedCents, CancellationToken ct)
    {
        var o = Terminal.Out;
        o.WriteLine();
        JobPrinter.PrintList(jobs);
        var timing = new Table().Border(TableBorder.Simple).AddColumns("stage", "median ms", "max ms");
        foreach (var g in jobs.SelectMany(j => j.Stages).Where(s => s.DurationMs is not null && s.Name != "receive").GroupBy(s => s.Name))
        {
            var ms = g.Select(s => s.DurationMs!.Value).Order().ToList();
            timing.AddRow(g.Key, ms[ms.Count / 2].ToString("N0"), ms[^1].ToString("N0"));
        }
        Terminal.Write(timing);

        var loaded = jobs.Sum(j => j.Counts.Loaded ?? 0);
        var ids = jobs.Select(j => j.Id).ToArray();
        await using var cmd = cp.DataSource.CreateCommand($"select count(*), coalesce(sum(amount), 0)::text from {Table} where _sluice_job_id = any($1)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = ids });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        var count = r.GetInt64(0);
        var sum = r.GetString(1);
        var expectedSum = PaymentsCsv.FormatCents(expectedCents);
        o.WriteLine($"rows loaded: {loaded:N0} of {expectedRows:N0} generated; {Table} holds {count:N0} rows from these jobs");
        o.WriteLine($"sum(amount) in PostgreSQL: {sum}; in the generated files: {expectedSum} — {(sum == expectedSum ? "exact to the cent" : "MISMATCH")}");
        o.WriteLine();
        o.WriteLine("where to look:");
        o.WriteLine($"  jobs:        ./sluice jobs        ./sluice job {jobs[0].Id} [--logs] [--json]");
        o.WriteLine($"  published:   {Path.Combine(settings.BucketsRoot, "processed", PipelineName)}/<job id>/ (source, artifacts, rejects, report.json)");
        o.WriteLine($"  workspace:   {settings.WorkspaceRoot}");
        o.WriteLine($"  pipeline:    {Path.Combine(settings.Home, "demo", "pipelines", "payments.yaml")}");
        if (settings.DatabaseUrl is null)
            o.WriteLine($"  the rows:    psql -h {EmbeddedPostgres.For(settings.Home).SocketDirectory} -U postgres sluice -c 'select count(*), sum(amount) from {Table}'");
        o.WriteLine("  stop the embedded PostgreSQL: ./sluice db stop");
        if (count != expectedRows || sum != expectedSum)
            throw new SluiceException("demo.mismatch", "the loaded rows do not match the generated files; see the jobs above.");
    }

    private static readonly string PipelineYaml = $"""
        # Written by `sluice demo`. Payments CSVs dropped under inbox/payments/ are loaded into {Table}.
        name: {PipelineName}
        on: {"{"} bucket: {Bucket}, match: "payments/*.csv" {"}"}
        workflow: load
        source: {"{"} format: csv {"}"}
        {PaymentsCsv.PipelineSchema}
        target: {"{"} table: {Table}, mode: append {"}"}
        output: {"{"} bucket: processed {"}"}
        """;
}
