using System.CommandLine;
using System.IO.Compression;
using System.Text;
using Sluice.Cli.Commands;
using Sluice.Cli.Output;
using Sluice.Errors;
using Sluice.Samples;

namespace Sluice.Cli.Bench;

/// <summary>
/// <c>sluice bench formats</c>: the same payments rows loaded with <c>sluice run</c> from each source format Sluice
/// reads — CSV (the reference), CSV compressed with gzip and with Zstandard, JSON Lines, Parquet in DuckDB's row groups
/// of 122,880 rows, and Parquet in one row group (as some writers leave a file, re-cut before it is read) — in one
/// invocation, runs alternating, with the time and peak memory of each whole process.
/// </summary>
internal sealed class FormatsBenchmark(BenchDatabase db, string workDir, string dllPath, int rounds)
{
    private sealed record Source(string Name, string File, string Format, string Note);

    public static Command Create(Func<CancellationToken, Task<string>> connectionString, Func<string> repoRoot)
    {
        var rows = new Option<long>("--rows") { Description = "Rows in the generated payments file.", DefaultValueFactory = _ => 1_000_000 };
        var rounds = new Option<int>("--rounds") { Description = "Runs of each source.", DefaultValueFactory = _ => 3 };
        var output = new Option<string?>("--output") { Description = "Write the markdown report here (default bench/results/formats.md)." };
        var command = new Command("formats", """
            Load the same payments rows with `sluice run` from CSV, gzip- and Zstandard-compressed CSV, JSON Lines and Parquet
            (in small row groups and in one); print and write a markdown report with time, ratio to CSV and peak RSS.
            """) { rows, rounds, output };
        command.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            if (parse.GetValue(rows) < 1 || parse.GetValue(rounds) < 1)
                throw new SluiceException("cli.usage", "--rows and --rounds take positive numbers, e.g. --rows 1000000 --rounds 3.");
            var db = await BenchDatabase.FreshAsync(await connectionString(ct), ct);
            var repo = repoRoot();
            var bench = new FormatsBenchmark(db, Path.Combine(repo, "bench", "work", "formats"), typeof(FormatsBenchmark).Assembly.Location, parse.GetValue(rounds));
            var report = await bench.RunAsync(parse.GetValue(rows), ct);
            var path = parse.GetValue(output) ?? Path.Combine(repo, "bench", "results", "formats.md");
            await BenchReport.WriteAsync(path, report, ct);
            return 0;
        }));
        return command;
    }

    public async Task<string> RunAsync(long rows, CancellationToken ct)
    {
        Directory.CreateDirectory(workDir);
        var sources = await PrepareAsync(rows, ct);
        var home = Path.Combine(workDir, "home");
        var pipelines = Path.Combine(workDir, "pipelines");
        if (Directory.Exists(home)) Directory.Delete(home, recursive: true);
        Directory.CreateDirectory(pipelines);
        foreach (var s in sources) await File.WriteAllTextAsync(Path.Combine(pipelines, $"{s.Name}.yaml"), Pipeline(s), ct);
        var env = BenchServe.Environment(home, pipelines, db.ConnectionString);
        var times = sources.ToDictionary(s => s.Name, s => new BenchStats(s.Name));
        var rss = sources.ToDictionary(s => s.Name, _ => 0.0);
        try
        {
            // Untimed: the first run of a process after the build pays the disk cache.
            await RunOnceAsync(sources[0], env, rows, -1, ct);
            for (var round = 0; round < rounds; round++)
            {
                // Alternate the order so no source always runs on a warm (or cold) cache.
                foreach (var s in sources.Skip(round % sources.Count).Concat(sources.Take(round % sources.Count)))
                {
                    Terminal.Line($"  round {round + 1}/{rounds} {s.Name}…");
                    await db.QuietAsync(ct);
                    var (seconds, peak) = await RunOnceAsync(s, env, rows, round, ct);
                    times[s.Name].Add(seconds);
                    rss[s.Name] = Math.Max(rss[s.Name], peak ?? double.NaN);
                }
            }
        }
        finally
        {
            if (Directory.Exists(home)) Directory.Delete(home, recursive: true);
        }
        return await ReportAsync(rows, sources, times, rss, ct);
    }

    /// <summary>The payments rows as every source file, made once per row count and kept in the work folder.</summary>
    private async Task<List<Source>> PrepareAsync(long rows, CancellationToken ct)
    {
        var stem = Path.Combine(workDir, $"payments-{rows}");
        var csv = stem + ".csv";
        if (!File.Exists(csv))
        {
            Terminal.Line($"generating {rows:N0} payments rows…");
            await Task.Run(() => PaymentsCsv.Write(csv + ".tmp", rows, seed: 42), ct);
            File.Move(csv + ".tmp", csv);
        }
        async Task Make(string path, Func<string, Task> write)
        {
            if (File.Exists(path)) return;
            await write(path + ".tmp");
            File.Move(path + ".tmp", path);
        }
        await Make(csv + ".gz", async tmp =>
        {
            await using var input = File.OpenRead(csv);
            await using var gzip = new GZipStream(File.Create(tmp), CompressionLevel.Optimal);
            await input.CopyToAsync(gzip, ct);
        });
        await Make(csv + ".zst", async tmp =>
        {
            await using var input = File.OpenRead(csv);
            // ZstdSharp leaves the stream it writes to open: closed here, or its last buffered bytes would never be written.
            await using var output = File.Create(tmp);
            await using var zstd = new ZstdSharp.CompressionStream(output, level: 3);
            zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
            await input.CopyToAsync(zstd, ct);
        });
        var read = $"read_csv({Literal(csv)}, header = true, columns = {{{string.Join(", ", BenchDatabase.PaymentsColumns.Select(c => $"'{c.Name}': '{ConvertBench.DuckType(c.Type)}'"))}}})";
        await Make(stem + ".jsonl", tmp => Duck($"COPY (SELECT * FROM {read}) TO {Literal(tmp)} (FORMAT json)"));
        await Make(stem + ".parquet", tmp => Duck($"COPY (SELECT * FROM {read}) TO {Literal(tmp)} (FORMAT parquet, COMPRESSION zstd)"));
        await Make(stem + "-one-group.parquet", tmp => Duck($"SET threads = 1; COPY (SELECT * FROM {read}) TO {Literal(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {Math.Max(rows, 2048)})"));
        return
        [
            new("csv", csv, "csv", "the reference"),
            new("csv-gzip", csv + ".gz", "csv", "gzip, inflated by download"),
            new("csv-zstd", csv + ".zst", "csv", "Zstandard level 3, decompressed by download"),
            new("jsonl", stem + ".jsonl", "jsonl", "written by DuckDB"),
            new("parquet", stem + ".parquet", "parquet", "DuckDB's row groups of 122,880 rows, zstd"),
            new("parquet-one-group", stem + "-one-group.parquet", "parquet", "one row group, re-cut through DuckDB before it is read"),
        ];
    }

    private static string Pipeline(Source s) => $"""
        name: bench-{s.Name}
        on: {"{"} bucket: inbox, match: "bench-{s.Name}/*" {"}"}
        source: {"{"} format: {s.Format} {"}"}
        schema:
        {string.Join("\n", BenchDatabase.PaymentsColumns.Select(c => $"  {c.Name}: {c.Type.ToSql()}{(c.Nullable ? "" : " not null")}"))}
        target: {"{"} table: public.bench_{s.Name.Replace('-', '_')}, mode: append, create: true {"}"}
        chunk: off
        """;

    private async Task<(double Seconds, double? PeakRssMiB)> RunOnceAsync(Source s, Dictionary<string, string> env, long rows, int round, CancellationToken ct)
    {
        var table = $"bench_{s.Name.Replace('-', '_')}";
        await db.DropAsync(table, ct);
        // A new name each run: the same content under the same key is the same job.
        var run = Path.Combine(workDir, "runs", $"bench-{s.Name}", $"r{round + 1}-{Guid.NewGuid():N}-{Path.GetFileName(s.File)}");
        Directory.CreateDirectory(Path.GetDirectoryName(run)!);
        if (!Storage.FileLinks.TryHardLink(s.File, run)) File.Copy(s.File, run);
        try
        {
            var r = await BenchMachine.RunAsync("/usr/bin/time", ["-f", "peak_rss_kb=%M", "dotnet", dllPath, "run", run, "--pipeline", $"bench-{s.Name}", "--json"], env, ct);
            if (r.Code != 0) throw new InvalidOperationException($"sluice run of {s.Name} failed ({r.Code}): {r.Err}");
            var loaded = await db.ScalarAsync<long>($"select count(*) from public.{table}", ct);
            if (loaded != rows) throw new InvalidOperationException($"{s.Name}: {loaded:N0} rows in {table}, expected {rows:N0}");
            await db.DropAsync(table, ct);
            var rssLine = r.Err.Split('\n').LastOrDefault(l => l.StartsWith("peak_rss_kb=", StringComparison.Ordinal));
            return (r.Seconds, rssLine is not null && long.TryParse(rssLine["peak_rss_kb=".Length..], out var kb) ? kb / 1024.0 : null);
        }
        finally
        {
            File.Delete(run);
        }
    }

    private async Task<string> ReportAsync(long rows, List<Source> sources, Dictionary<string, BenchStats> times, Dictionary<string, double> rss, CancellationToken ct)
    {
        var version = await db.ScalarAsync<string>("show server_version", ct);
        var reference = times[sources[0].Name].Median;
        var sb = new StringBuilder();
        sb.AppendLine($"# Formats benchmark: {rows:N0} payments rows from each source format").AppendLine();
        sb.AppendLine($"Command: `./sluice bench formats --rows {rows}{(rounds == 3 ? "" : $" --rounds {rounds}")}`. The same rows (the payments " +
                      "columns, amount numeric(14,2)) are written as each source file once (CSV by Sluice's generator; the rest from it, the " +
                      "JSON Lines and Parquet files by DuckDB), then loaded with `sluice run` (the whole process: start-up, download, " +
                      "transform, load with the ledger, publish) into a fresh table, `chunk: off`, the schema declared; runs alternate " +
                      "between sources, each after a checkpoint and a `sync`; time and peak RSS are the process's (`/usr/bin/time`).").AppendLine();
        sb.AppendLine(BenchMachine.Describe(version)).AppendLine();
        sb.AppendLine("| source | file | runs (s) | median (s) | median / CSV | peak RSS |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var s in sources)
        {
            var t = times[s.Name];
            sb.AppendLine($"| {s.Name} ({s.Note}) | {new FileInfo(s.File).Length / 1e6:0.0} MB | {string.Join(", ", t.Seconds.Select(x => BenchStats.F(x)))} | " +
                          $"{BenchStats.F(t.Median)} | {BenchStats.F(t.Median / reference)}× | {BenchStats.F(rss[s.Name], "0")} MiB |");
        }
        sb.AppendLine();
        sb.AppendLine($"CPU reference (`BenchMachine.CpuReferenceMs`, lower is faster): {BenchMachine.CpuReferenceMs():0} ms after the last run.");
        return sb.ToString();
    }

    private static Task Duck(string sql) => ConvertBench.Duck(sql);

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
