using System.CommandLine;
using Sluice.Cli.Bench;
using Sluice.Errors;
using Sluice.Postgres;
using Sluice.Postgres.Embedded;

namespace Sluice.Cli.Commands;

internal static class BenchCommand
{
    public static Command Create()
    {
        var rows = new Option<long[]>("--rows")
        {
            Description = "Rows in the generated payments CSV; several sizes (--rows 200000 2000000 10000000) are measured round by round in one invocation, with their cost per million rows side by side.",
            DefaultValueFactory = _ => [2_000_000],
            AllowMultipleArgumentsPerToken = true,
        };
        var file = new Option<FileInfo?>("--file") { Description = "Load this payments CSV instead of generating one." };
        var rounds = new Option<int>("--rounds") { Description = "Runs of each contender.", DefaultValueFactory = _ => 3 };
        var keep = new Option<bool>("--keep") { Description = "Keep workspaces and published files of the runs." };
        var output = new Option<string?>("--output") { Description = "Write the markdown report here (default bench/results/load-<rows>.md, or load-sizes.md for several sizes)." };
        var noPgloader = new Option<bool>("--no-pgloader") { Description = "Leave pgloader out even when installed (it takes minutes on large files)." };
        var chunk = new Option<string?>("--chunk")
        {
            Description = "The pipelines' `chunk:` setting instead of the default, as in YAML: off, or \"{ rows: 5000000, bytes: 1GiB }\"."
        };
        var load = new Command("load", """
            Load a payments CSV side by side with psql \copy (the reference), pgloader (if installed), Sluice end to end in a
            running serve, and `sluice run`; print and write a markdown report with min/median, ratios to psql, peak RSS.
            """) { rows, file, rounds, keep, output, noPgloader, chunk };
        load.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            var db = await BenchDatabase.FreshAsync(await ConnectionStringAsync(ct), ct);
            var repo = FindRepoRoot();
            var work = Path.Combine(repo, "bench", "work");
            var dll = typeof(BenchCommand).Assembly.Location;
            var sizes = parse.GetValue(rows) ?? [2_000_000];
            if (sizes.Length == 0 || sizes.Any(n => n < 1)) throw new SluiceException("cli.usage", "--rows takes one or more positive row counts, e.g. --rows 200000 2000000.");
            var bench = new LoadBenchmark(db, work, dll, parse.GetValue(rounds), parse.GetValue(keep), usePgloader: !parse.GetValue(noPgloader), chunk: parse.GetValue(chunk));
            var report = await bench.RunAsync(sizes, parse.GetValue(file)?.FullName, ct);
            var name = sizes.Distinct().Count() == 1 || parse.GetValue(file) is not null ? $"load-{sizes[0]}.md" : "load-sizes.md";
            var path = parse.GetValue(output) ?? Path.Combine(repo, "bench", "results", name);
            await BenchReport.WriteAsync(path, report, ct);
            return 0;
        }));
        var files = new Option<int>("--files") { Description = "How many small files to drop at once.", DefaultValueFactory = _ => 1000 };
        // More workers than cores: each job's commits wait for the disk, and other workers' jobs use the cores meanwhile
        // (measured on 2 cores, 2026-12-01, runs alternating: 270 and 235 jobs/s with 8 workers, 192 and 184 with 4).
        var workers = new Option<int>("--workers") { Description = "Workers of the serve process (more than cores: a small file's job mostly waits for commits).", DefaultValueFactory = _ => 8 };
        var warmup = new Option<int>("--warmup")
        {
            Description = "Jobs run before the burst, as by a serve that has been running: code first run by the burst is then compiled and optimized. 1 measures a serve started just before.",
            DefaultValueFactory = _ => 300,
        };
        var rate = new Option<double>("--rate")
        {
            Description = "Files per second, evenly spaced, instead of one burst: the latency a steady arrival rate sees (0 = all at once).",
            DefaultValueFactory = _ => 0,
        };
        var stormOutput = new Option<string?>("--output") { Description = "Write the markdown report here (default bench/results/storm.md)." };
        var storm = new Command("storm", """
            Drop many ~1 KB files at once into a running serve and report jobs/s and p50/p95/p99 latency from arrival to
            succeeded, with full durability.
            """) { files, workers, warmup, rate, stormOutput };
        storm.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            var db = await BenchDatabase.FreshAsync(await ConnectionStringAsync(ct), ct);
            var repo = FindRepoRoot();
            var bench = new StormBenchmark(db, Path.Combine(repo, "bench", "work"), typeof(BenchCommand).Assembly.Location, parse.GetValue(workers),
                Math.Max(1, parse.GetValue(warmup)), Math.Max(0, parse.GetValue(rate)));
            var report = await bench.RunAsync(parse.GetValue(files), ct);
            var path = parse.GetValue(stormOutput) ?? Path.Combine(repo, "bench", "results", "storm.md");
            await BenchReport.WriteAsync(path, report, ct);
            return 0;
        }));
        return new Command("bench", "Benchmarks with committed, reproducible reports (see bench/README.md).") { load, storm, ConvertBench.Create(), FormatsBenchmark.Create(ConnectionStringAsync, FindRepoRoot) };
    }

    private static async Task<string> ConnectionStringAsync(CancellationToken ct)
    {
        var settings = CliAction.Settings();
        return settings.DatabaseUrl is { } url ? DatabaseUrl.ToConnectionString(url) : await EmbeddedPostgres.For(settings.Home).EnsureRunningAsync(ct);
    }

    /// <summary>The repository root (where bench/ lives), found upwards from the current folder.</summary>
    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Sluice.slnx"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
