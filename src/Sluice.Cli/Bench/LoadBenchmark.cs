using System.Diagnostics;
using System.Text;
using Sluice.Cli.Output;
using Sluice.Samples;
using Sluice.Storage;

namespace Sluice.Cli.Bench;

/// <summary>
/// Loads one generated payments CSV into fresh identical tables, side by side in one invocation: psql \copy (the
/// reference), pgloader (when installed), Sluice end to end in a running serve (file appears in the inbox → job
/// succeeded, every stage and the ledger included), and `sluice run` as its own process. Runs alternate and repeat;
/// the report gives min/median, each median's ratio to psql's, and peak RSS.
/// </summary>
internal sealed class LoadBenchmark(BenchDatabase db, string workDir, string dllPath, int rounds, bool keep, bool usePgloader = true, string? chunk = null)
{
    private static readonly string[] Cases = ["noindex", "pk"];

    /// <summary>Per table, the timed serve runs' load stages (one per chunk) and how many found their rows streamed by transform.</summary>
    private readonly Dictionary<string, (int Streamed, int Loads)> _serveLoads = [];

    public async Task<string> RunAsync(long rows, string? givenFile, CancellationToken ct)
    {
        Directory.CreateDirectory(workDir);
        var csv = givenFile ?? await GenerateAsync(rows, ct);
        rows = givenFile is null ? rows : File.ReadLines(csv).LongCount() - 1;
        var bytes = new FileInfo(csv).Length;
        var home = Path.Combine(workDir, "home");
        if (Directory.Exists(home)) Directory.Delete(home, recursive: true);
        var pipelines = Path.Combine(home, "pipelines");
        Directory.CreateDirectory(pipelines);
        foreach (var c in Cases) await File.WriteAllTextAsync(Path.Combine(pipelines, $"bench-{c}.yaml"), Pipeline(c, chunk), ct);
        var env = BenchServe.Environment(home, pipelines, db.ConnectionString);
        var pgloader = usePgloader && File.Exists("/usr/bin/pgloader") ? "/usr/bin/pgloader" : null;

        var stats = new Dictionary<(string Case, string Who), BenchStats>();
        BenchStats S(string c, string who) => stats.TryGetValue((c, who), out var s) ? s : stats[(c, who)] = new BenchStats(who);
        double? runRss = null;
        double? serveRss;
        using (var serve = await BenchServe.StartAsync(dllPath, 2, env, ct))
        {
            // A running serve has loaded files before: one small file per table first (not timed), so the first timed
            // round does not also pay for compiling the code every load runs.
            var warmup = Path.Combine(workDir, "warmup-20000.csv");
            if (!File.Exists(warmup)) PaymentsCsv.Write(warmup, 20_000, seed: 7);
            foreach (var c in Cases) await ServeRoundAsync(home, warmup, c, 20_000, -1, ct);
            var contenders = new List<string> { "psql", "sluice serve", "sluice run" };
            if (pgloader is not null) contenders.Add("pgloader");
            for (var round = 0; round < rounds; round++)
            {
                foreach (var c in Cases)
                {
                    // Alternate the order so no contender always runs on a warm (or cold) cache.
                    foreach (var who in contenders.Skip(round % contenders.Count).Concat(contenders.Take(round % contenders.Count)))
                    {
                        Terminal.Line($"  round {round + 1}/{rounds} {c,-7} {who}…");
                        // Nothing left to write from the run before: whichever contender followed a large load
                        // (pgloader's minute of inserts above all) otherwise measured up to a quarter slower.
                        await db.QuietAsync(ct);
                        switch (who)
                        {
                            case "psql": S(c, who).Add(await PsqlAsync(csv, c, rows, ct)); break;
                            case "pgloader": S(c, who).Add(await PgloaderAsync(pgloader!, csv, c, rows, ct)); break;
                            case "sluice serve": S(c, who).Add(await ServeRoundAsync(home, csv, c, rows, round, ct)); break;
                            case "sluice run":
                                var (secs, rss) = await RunRoundAsync(env, csv, c, rows, round, ct);
                                S(c, who).Add(secs);
                                runRss = Math.Max(runRss ?? 0, rss ?? 0);
                                break;
                        }
                    }
                }
            }
            serveRss = serve.PeakRssMiB();
        }
        foreach (var c in Cases) await db.DropAsync($"bench_{c}", ct);

        var version = await db.ScalarAsync<string>("show server_version", ct);
        return Report(rows, bytes, rounds, stats, serveRss, runRss, pgloader is not null, version);
    }

    private static string Pipeline(string c, string? chunk) => $"""
        name: bench-{c}{(chunk is null ? "" : $"\nchunk: {chunk}")}
        on: {"{"} bucket: bench, match: "{c}/*.csv" {"}"}
        workflow: load
        source: {"{"} format: csv {"}"}
        {PaymentsCsv.PipelineSchema}
        target: {"{"} table: public.bench_{c}, mode: append{(c == "pk" ? ", key: [transaction_id]" : "")} {"}"}
        output: {"{"} bucket: bench-out {"}"}
        """;

    private async Task<string> GenerateAsync(long rows, CancellationToken ct)
    {
        var path = Path.Combine(workDir, $"payments-{rows}.csv");
        if (!File.Exists(path))
        {
            Terminal.Line($"  generating {path} ({rows:N0} rows, seed 42)…");
            await Task.Run(() => PaymentsCsv.Write(path + ".tmp", rows, seed: 42), ct);
            File.Move(path + ".tmp", path);
        }
        return path;
    }

    private async Task<double> PsqlAsync(string csv, string c, long rows, CancellationToken ct)
    {
        var table = $"bench_psql_{c}";
        await db.RecreateAsync(table, c == "pk", lineage: false, ct);
        var cols = string.Join(", ", BenchDatabase.PaymentsColumns.Select(x => x.Name));
        var r = await BenchMachine.RunAsync("psql", db.PsqlArgs($"\\copy public.{table} ({cols}) from '{csv}' with (format csv, header)"), db.PsqlEnv(), ct);
        if (r.Code != 0) throw new InvalidOperationException($"psql failed: {r.Err}");
        await CheckRowsAsync(table, rows, ct);
        await db.DropAsync(table, ct);
        return r.Seconds;
    }

    private async Task<double> PgloaderAsync(string pgloader, string csv, string c, long rows, CancellationToken ct)
    {
        var table = $"bench_pgloader_{c}";
        await db.RecreateAsync(table, c == "pk", lineage: false, ct);
        var cols = string.Join(", ", BenchDatabase.PaymentsColumns.Select(x => x.Name));
        var load = Path.Combine(workDir, $"pgloader-{c}.load");
        await File.WriteAllTextAsync(load, $"""
            LOAD CSV FROM '{csv}' ({cols})
              INTO {db.PgloaderUrl(table)} ({cols})
              WITH skip header = 1, fields optionally enclosed by '"', fields escaped by double-quote, fields terminated by ','
            ;
            """, ct);
        var r = await BenchMachine.RunAsync(pgloader, ["--quiet", "--root-dir", Path.Combine(workDir, "pgloader"), load], null, ct);
        if (r.Code != 0) throw new InvalidOperationException($"pgloader failed: {r.Err}{r.Out}");
        await CheckRowsAsync(table, rows, ct);
        await db.DropAsync(table, ct);
        return r.Seconds;
    }

    private async Task<double> ServeRoundAsync(string home, string csv, string c, long rows, int round, CancellationToken ct)
    {
        await db.DropAsync($"bench_{c}", ct);
        var key = $"{c}/serve-{round}-{Guid.NewGuid():N}.csv";
        var target = Path.Combine(home, "buckets", "bench", key);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var staged = Path.Combine(home, "buckets", "bench", c, $".staged-{Guid.NewGuid():N}");
        if (!FileLinks.TryHardLink(csv, staged)) File.Copy(csv, staged);
        var sw = Stopwatch.StartNew();
        File.Move(staged, target);   // the file appears in the inbox whole, at this instant
        string? status = null;
        while (status is not ("succeeded" or "failed"))
        {
            await Task.Delay(10, ct);
            status = await db.ScalarAsync<object?>("select status from sluice.jobs where source_bucket = 'bench' and source_key = $1", ct, key) as string;
        }
        sw.Stop();
        if (status != "succeeded") throw new InvalidOperationException($"the Sluice job for {key} failed; see ./sluice jobs with SLUICE_HOME={home}");
        await CheckRowsAsync($"bench_{c}", rows, ct);
        if (round >= 0)
        {
            var loads = (await db.ScalarAsync<string>(
                "select count(*) filter (where s.outputs ->> 'streamed' = 'true') || ' ' || count(*) from sluice.job_stages s " +
                "join sluice.jobs j on j.id = s.job_id where j.source_bucket = 'bench' and j.source_key = $1 and s.name = 'load' and s.status = 'succeeded'",
                ct, key)).Split(' ').Select(int.Parse).ToArray();
            var (streamed, all) = _serveLoads.GetValueOrDefault(c);
            _serveLoads[c] = (streamed + loads[0], all + loads[1]);
        }
        await CleanAsync(home, key, ct);
        return sw.Elapsed.TotalSeconds;
    }

    private async Task<(double Seconds, double? PeakRssMiB)> RunRoundAsync(Dictionary<string, string> env, string csv, string c, long rows, int round, CancellationToken ct)
    {
        await db.DropAsync($"bench_{c}", ct);
        var dir = Path.Combine(workDir, "runs", c);
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, $"run-{round}-{Guid.NewGuid():N}.csv");
        if (!FileLinks.TryHardLink(csv, file)) File.Copy(csv, file);
        var r = await BenchMachine.RunAsync("/usr/bin/time", ["-f", "peak_rss_kb=%M", "dotnet", dllPath, "run", file, "--pipeline", $"bench-{c}", "--json"], env, ct);
        File.Delete(file);
        if (r.Code != 0) throw new InvalidOperationException($"sluice run failed ({r.Code}): {r.Err}");
        await CheckRowsAsync($"bench_{c}", rows, ct);
        var id = System.Text.Json.JsonDocument.Parse(r.Out).RootElement.GetProperty("id").GetString()!;
        var key = System.Text.Json.JsonDocument.Parse(r.Out).RootElement.GetProperty("source").GetProperty("key").GetString()!;
        await CleanAsync(env["SLUICE_HOME"], key, ct, id);
        var rssLine = r.Err.Split('\n').LastOrDefault(l => l.StartsWith("peak_rss_kb=", StringComparison.Ordinal));
        return (r.Seconds, rssLine is not null && long.TryParse(rssLine["peak_rss_kb=".Length..], out var kb) ? kb / 1024.0 : null);
    }

    private async Task CheckRowsAsync(string table, long rows, CancellationToken ct)
    {
        var n = await db.ScalarAsync<long>($"select count(*) from public.{table}", ct);
        if (n != rows) throw new InvalidOperationException($"{table} holds {n:N0} rows, expected {rows:N0}");
    }

    /// <summary>Removes a finished job's workspace and published copies, so long runs do not fill the disk.</summary>
    private async Task CleanAsync(string home, string key, CancellationToken ct, string? jobId = null)
    {
        if (keep) return;
        jobId ??= (await db.ScalarAsync<Guid>("select id from sluice.jobs where source_bucket = 'bench' and source_key = $1", ct, key)).ToString();
        foreach (var dir in new[] { Path.Combine(home, "workspace", jobId) }
                     .Concat(Directory.Exists(Path.Combine(home, "buckets", "bench-out"))
                         ? Directory.GetDirectories(Path.Combine(home, "buckets", "bench-out")).Select(p => Path.Combine(p, jobId)) : []))
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        var inbox = Path.Combine(home, "buckets", "bench", key);
        if (File.Exists(inbox)) File.Delete(inbox);
    }

    private string Report(long rows, long bytes, int rounds, Dictionary<(string Case, string Who), BenchStats> stats,
        double? serveRss, double? runRss, bool pgloader, string pgVersion)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Load benchmark: {rows:N0} rows ({bytes / 1e6:0.0} MB CSV)").AppendLine();
        sb.AppendLine("Command: `./sluice bench load --rows " + rows + (pgloader ? "" : " --no-pgloader") + (chunk is null ? "" : $" --chunk '{chunk}'") + "`. Each contender loads the same file into a fresh identical table " +
                      $"on the same PostgreSQL; {rounds} rounds, order alternating, each run after a checkpoint and a `sync` (nothing left to write from the run before). Sluice serve: from the file appearing (atomic rename) " +
                      "in the inbox of a running `sluice serve --workers 2` (renamed into place, so taken at once) to the job `succeeded` (download, transform — which, " +
                      "for a file loaded whole, also loads the rows as it writes them (a streamed load) — load with the ledger, publish), after one untimed 20,000-row file " +
                      "per table (a serve that has been running). `sluice run`: the whole process, start-up included. " +
                      (chunk is null
                          ? $"The pipelines use the default `chunk` policy (1,000,000 rows or 128 MiB): this file loads as {Math.Max(1, (rows + 999_999) / 1_000_000)} chunk(s), transformed side by side on the two workers, then loaded side by side (no index) or one at a time in file order (primary key: the pipeline declares `key`)."
                          : $"The pipelines say `chunk: {chunk}`.")).AppendLine();
        sb.AppendLine(BenchMachine.Describe(pgVersion)).AppendLine();
        foreach (var c in Cases)
        {
            var reference = stats[(c, "psql")].Median;
            sb.AppendLine($"## {(c == "pk" ? "Table with a primary key" : "Table without indexes")}").AppendLine();
            sb.AppendLine("| contender | runs (s) | min (s) | median (s) | median / psql | s per million rows |");
            sb.AppendLine("|---|---|---|---|---|---|");
            foreach (var s in stats.Where(kv => kv.Key.Case == c).Select(kv => kv.Value))
                sb.AppendLine($"| {s.Name} | {string.Join(", ", s.Seconds.Select(x => BenchStats.F(x)))} | {BenchStats.F(s.Min)} | {BenchStats.F(s.Median)} | " +
                              $"{BenchStats.F(s.Median / reference)}× | {BenchStats.F(s.Median / (rows / 1e6), "0.000")} |");
            sb.AppendLine();
        }
        if (!pgloader) sb.AppendLine("pgloader is not in this report (not installed, or left out with --no-pgloader).").AppendLine();
        var streamedLoads = Cases.Select(c =>
        {
            var (streamed, all) = _serveLoads.GetValueOrDefault(c);
            return $"{(c == "pk" ? "primary key" : "no index")} {streamed} of {all}";
        });
        sb.AppendLine($"Streamed loads (rows loaded as transform wrote them) among the timed serve runs' loads, one per chunk: {string.Join("; ", streamedLoads)}. " +
                      "The others loaded from the artifact in the load stage: chunks stream only with SLUICE_STREAM_CHUNKS=1, and only when every chunk has a worker at once.").AppendLine();
        sb.AppendLine($"Peak RSS: `sluice serve` process {BenchStats.F(serveRss ?? double.NaN, "0")} MiB over all rounds; `sluice run` {BenchStats.F(runRss ?? double.NaN, "0")} MiB (max over runs).");
        return sb.ToString();
    }
}
