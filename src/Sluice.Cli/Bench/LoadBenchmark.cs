using System.Diagnostics;
using System.Text;
using Sluice.Cli.Output;
using Sluice.Control;
using Sluice.Samples;
using Sluice.Stages.Load;
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
    private readonly Dictionary<(string Case, long Rows), (int Streamed, int Loads)> _serveLoads = [];

    /// <summary>Per table and size, each timed serve run's milliseconds in <see cref="SpanNames"/>.</summary>
    private readonly Dictionary<(string Case, long Rows), List<double[]>> _serveSpans = [];

    private static readonly string[] SpanNames = ["arrival", "download", "transform", "load", "publish", "between stages"];

    public async Task<string> RunAsync(IReadOnlyList<long> sizes, string? givenFile, CancellationToken ct)
    {
        Directory.CreateDirectory(workDir);
        var files = new List<(long Rows, string Csv)>();
        if (givenFile is not null) files.Add((File.ReadLines(givenFile).LongCount() - 1, givenFile));
        else foreach (var n in sizes.Distinct().Order()) files.Add((n, await GenerateAsync(n, ct)));
        var home = Path.Combine(workDir, "home");
        if (Directory.Exists(home)) Directory.Delete(home, recursive: true);
        var pipelines = Path.Combine(home, "pipelines");
        Directory.CreateDirectory(pipelines);
        foreach (var c in Cases) await File.WriteAllTextAsync(Path.Combine(pipelines, $"bench-{c}.yaml"), Pipeline(c, chunk), ct);
        var env = BenchServe.Environment(home, pipelines, db.ConnectionString);
        var pgloader = usePgloader ? await FindOrInstallPgloaderAsync(ct) : null;

        var stats = new Dictionary<(string Case, long Rows, string Who), BenchStats>();
        BenchStats S(string c, long n, string who) => stats.TryGetValue((c, n, who), out var s) ? s : stats[(c, n, who)] = new BenchStats(who);
        double? runRss = null;
        double? serveRss;
        using (var serve = await BenchServe.StartAsync(dllPath, 2, env, ct))
        {
            // A running serve has loaded files before: files per table first (not timed), so the timed rounds do not
            // also pay for compiling the code every load runs, nor for the first large COPY of the server process behind
            // its load connection. The small files make the code each job runs once (stages, commits) hot: the runtime
            // compiles a method fully only after about 30 calls, on a background thread that, during a timed run, would
            // take a core from the load, as it never does in a serve that has been running for a while.
            var warmupSmall = Path.Combine(workDir, "warmup-1000.csv");
            if (!File.Exists(warmupSmall)) PaymentsCsv.Write(warmupSmall, 1_000, seed: 7);
            var warmup = Path.Combine(workDir, "warmup-20000.csv");
            if (!File.Exists(warmup)) PaymentsCsv.Write(warmup, 20_000, seed: 7);
            var warmupLarge = await GenerateAsync(200_000, ct);
            foreach (var c in Cases)
            {
                for (var i = 0; i < WarmupSmallFiles; i++)
                    await ServeRoundAsync(home, warmupSmall, c, 1_000, -1, ct);
                await ServeRoundAsync(home, warmup, c, 20_000, -1, ct);
                await ServeRoundAsync(home, warmup, c, 20_000, -1, ct);
                await ServeRoundAsync(home, warmupLarge, c, 200_000, -1, ct);
            }
            var contenders = new List<string> { "psql", "sluice serve", "sluice run" };
            if (pgloader is not null) contenders.Add("pgloader");
            for (var round = 0; round < rounds; round++)
            {
                // What psql's own start costs (connect, no load): every psql run pays it once.
                await db.QuietAsync(ct);
                _psqlStart.Add(await PsqlStartAsync(ct));
                foreach (var c in Cases)
                foreach (var (rows, csv) in files)
                {
                    // Alternate the order so no contender always runs on a warm (or cold) cache.
                    foreach (var who in contenders.Skip(round % contenders.Count).Concat(contenders.Take(round % contenders.Count)))
                    {
                        Terminal.Line($"  round {round + 1}/{rounds} {c,-7} {rows,12:N0} rows {who}…");
                        // Nothing left to write from the run before: whichever contender followed a large load
                        // (pgloader's minute of inserts above all) otherwise measured up to a quarter slower.
                        await db.QuietAsync(ct);
                        switch (who)
                        {
                            case "psql": S(c, rows, who).Add(await PsqlAsync(csv, c, rows, ct)); break;
                            case "pgloader": S(c, rows, who).Add(await PgloaderAsync(pgloader!, csv, c, rows, ct)); break;
                            case "sluice serve": S(c, rows, who).Add(await ServeRoundAsync(home, csv, c, rows, round, ct)); break;
                            case "sluice run":
                                var (secs, rss) = await RunRoundAsync(env, csv, c, rows, round, ct);
                                S(c, rows, who).Add(secs);
                                runRss = Math.Max(runRss ?? 0, rss ?? 0);
                                break;
                        }
                    }
                }
            }
            serveRss = serve.PeakRssMiB();
        }
        var version = await db.ScalarAsync<string>("show server_version", ct);
        return Report(files, rounds, stats, serveRss, runRss, pgloader is not null, version);
    }

    private readonly BenchStats _psqlStart = new("psql start-up");

    private async Task<double> PsqlStartAsync(CancellationToken ct)
    {
        var r = await BenchMachine.RunAsync("psql", db.PsqlArgs("select 1"), db.PsqlEnv(), ct);
        if (r.Code != 0) throw new InvalidOperationException($"psql failed: {r.Err}");
        return r.Seconds;
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

    /// <summary>pgloader, installed with apt when it is missing and the benchmark runs as root; null (and said so) when
    /// it cannot be had, and the report then leaves it out.</summary>
    private static async Task<string?> FindOrInstallPgloaderAsync(CancellationToken ct)
    {
        const string path = "/usr/bin/pgloader";
        if (File.Exists(path)) return path;
        if (!Environment.IsPrivilegedProcess || !File.Exists("/usr/bin/apt-get"))
        {
            Terminal.Line("  pgloader is not installed, so it is left out (as root, `apt-get install pgloader` adds it, or run the benchmark as root)");
            return null;
        }
        Terminal.Line("  installing pgloader (apt-get install pgloader)…");
        var apt = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
        var result = await BenchMachine.RunAsync("apt-get", ["update", "-qq"], apt, ct);
        if (result.Code == 0) result = await BenchMachine.RunAsync("apt-get", ["install", "-y", "-qq", "pgloader"], apt, ct);
        if (result.Code == 0 && File.Exists(path)) return path;
        Terminal.Line($"  pgloader could not be installed, so it is left out: {result.Err.Trim().Split('\n')[^1]}");
        return null;
    }

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
        await CheckAndDropAsync(table, rows, ct);
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
        await CheckAndDropAsync(table, rows, ct);
        return r.Seconds;
    }

    /// <summary>Untimed small files per table before the timed rounds (see the warm-up above).</summary>
    private const int WarmupSmallFiles = 40;

    private async Task<double> ServeRoundAsync(string home, string csv, string c, long rows, int round, CancellationToken ct)
    {
        // A fresh empty table, as every contender gets (Sluice's with its lineage column): the clock then measures the
        // load, not also the CREATE TABLE that a first file into a missing table runs.
        await db.RecreateAsync($"bench_{c}", c == "pk", lineage: true, ct);
        var key = $"{c}/serve-{round}-{Guid.NewGuid():N}.csv";
        var target = Path.Combine(home, "buckets", "bench", key);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var staged = Path.Combine(home, "buckets", "bench", c, $".staged-{Guid.NewGuid():N}");
        if (!FileLinks.TryHardLink(csv, staged)) File.Copy(csv, staged);
        // The job's end is learnt from the notification its outcome's commit raises, as `sluice run` learns it (with a
        // check every 100 ms besides), listening from before the clock starts.
        await using var ends = await JobEndSignal.ListenAsync(db.ConnectionString, jobs: null, ct);
        var sw = Stopwatch.StartNew();
        var appeared = DateTime.UtcNow;
        File.Move(staged, target);   // the file appears in the inbox whole, at this instant
        string? status = null;
        while (true)
        {
            await ends.WaitAsync(TimeSpan.FromMilliseconds(100), ct);
            status = await db.ScalarAsync<object?>("select status from sluice.jobs where source_bucket = 'bench' and source_key = $1", ct, key) as string;
            if (status is "succeeded" or "failed") break;
        }
        sw.Stop();
        if (status != "succeeded") throw new InvalidOperationException($"the Sluice job for {key} failed; see ./sluice jobs with SLUICE_HOME={home}");
        await CheckAndDropAsync($"bench_{c}", rows, ct);
        if (round >= 0)
        {
            var loads = (await db.ScalarAsync<string>(
                "select count(*) filter (where s.outputs ->> 'streamed' = 'true') || ' ' || count(*) from sluice.job_stages s " +
                "join sluice.jobs j on j.id = s.job_id where j.source_bucket = 'bench' and j.source_key = $1 and s.name = 'load' and s.status = 'succeeded'",
                ct, key)).Split(' ').Select(int.Parse).ToArray();
            var (streamed, all) = _serveLoads.GetValueOrDefault((c, rows));
            _serveLoads[(c, rows)] = (streamed + loads[0], all + loads[1]);
            // Where the run's time went: arrival (rename to job recorded, on this machine's one clock), each stage from
            // its first start to its last end (chunks side by side count once), and the rest (waits between stages).
            var spans = (await db.ScalarAsync<string>(
                "select string_agg(coalesce(round(extract(epoch from x.ms) * 1000)::text, '0'), ' ' order by x.o) from (" +
                "select 0 o, j.created_at - $2::timestamptz ms from sluice.jobs j where j.source_bucket = 'bench' and j.source_key = $1 union all " +
                "select n.o, (select max(s.finished_at) - min(s.started_at) from sluice.job_stages s where s.job_id = j.id and s.name = n.name) " +
                "from sluice.jobs j, (values (1, 'download'), (2, 'transform'), (3, 'load'), (4, 'publish')) n(o, name) " +
                "where j.source_bucket = 'bench' and j.source_key = $1) x", ct, key, appeared)).Split(' ').Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            if (!_serveSpans.TryGetValue((c, rows), out var list)) _serveSpans[(c, rows)] = list = [];
            list.Add([.. spans, sw.Elapsed.TotalMilliseconds - spans.Sum()]);
        }
        await CleanAsync(home, key, ct);
        return sw.Elapsed.TotalSeconds;
    }

    private async Task<(double Seconds, double? PeakRssMiB)> RunRoundAsync(Dictionary<string, string> env, string csv, string c, long rows, int round, CancellationToken ct)
    {
        await db.RecreateAsync($"bench_{c}", c == "pk", lineage: true, ct);
        var dir = Path.Combine(workDir, "runs", c);
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, $"run-{round}-{Guid.NewGuid():N}.csv");
        if (!FileLinks.TryHardLink(csv, file)) File.Copy(csv, file);
        var r = await BenchMachine.RunAsync("/usr/bin/time", ["-f", "peak_rss_kb=%M", "dotnet", dllPath, "run", file, "--pipeline", $"bench-{c}", "--json"], env, ct);
        File.Delete(file);
        if (r.Code != 0) throw new InvalidOperationException($"sluice run failed ({r.Code}): {r.Err}");
        await CheckAndDropAsync($"bench_{c}", rows, ct);
        var id = System.Text.Json.JsonDocument.Parse(r.Out).RootElement.GetProperty("id").GetString()!;
        var key = System.Text.Json.JsonDocument.Parse(r.Out).RootElement.GetProperty("source").GetProperty("key").GetString()!;
        await CleanAsync(env["SLUICE_HOME"], key, ct, id);
        var rssLine = r.Err.Split('\n').LastOrDefault(l => l.StartsWith("peak_rss_kb=", StringComparison.Ordinal));
        return (r.Seconds, rssLine is not null && long.TryParse(rssLine["peak_rss_kb=".Length..], out var kb) ? kb / 1024.0 : null);
    }

    /// <summary>
    /// Checks the table holds the file's rows, then drops it: every contender's table goes as soon as its rows are
    /// counted. A loaded table left standing is vacuumed by autovacuum within the minute (its inserts pass the insert
    /// threshold), seconds of work that would fall on whichever contender runs next. Sluice's tables stood until its
    /// next run, and the server's log showed autovacuum scanning them during other contenders' runs (cancelled when
    /// Sluice's next run dropped them).
    /// </summary>
    private async Task CheckAndDropAsync(string table, long rows, CancellationToken ct)
    {
        var n = await db.ScalarAsync<long>($"select count(*) from public.{table}", ct);
        if (n != rows) throw new InvalidOperationException($"{table} holds {n:N0} rows, expected {rows:N0}");
        await db.DropAsync(table, ct);
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

    private string Report(IReadOnlyList<(long Rows, string Csv)> files, int rounds, Dictionary<(string Case, long Rows, string Who), BenchStats> stats,
        double? serveRss, double? runRss, bool pgloader, string pgVersion)
    {
        var sb = new StringBuilder();
        var several = files.Count > 1;
        string Size(long rows, string csv) => $"{rows:N0} rows ({new FileInfo(csv).Length / 1e6:0.0} MB CSV)";
        sb.AppendLine(several
            ? $"# Load benchmark: {string.Join(", ", files.Select(f => $"{f.Rows:N0}"))} rows in one invocation"
            : $"# Load benchmark: {Size(files[0].Rows, files[0].Csv)}").AppendLine();
        sb.AppendLine("Command: `./sluice bench load --rows " + string.Join(' ', files.Select(f => f.Rows)) + (pgloader ? "" : " --no-pgloader") +
                      (rounds == 3 ? "" : $" --rounds {rounds}") + (chunk is null ? "" : $" --chunk '{chunk}'") + "`. Each contender loads the same file into a fresh identical table " +
                      $"on the same PostgreSQL; {rounds} rounds, order alternating, each run after a checkpoint and a `sync` (nothing left to write from the run before), each table dropped once its rows are counted (none left for autovacuum to work on during the next run). " +
                      (several ? "Every round runs every size, so all sizes are measured at the same moment of the machine. " : "") +
                      "Sluice serve: from the file appearing (atomic rename) " +
                      "in the inbox of a running `sluice serve --workers 2` (renamed into place, so taken at once) to the job `succeeded` (download, transform — which, " +
                      "for a file loaded whole, also loads the rows as it writes them (a streamed load) — load with the ledger, publish), after " +
                      $"untimed files per table ({WarmupSmallFiles} of 1,000 rows, two of 20,000 and one of 200,000: a serve that has been running, its code compiled). Every contender loads into a fresh, " +
                      "empty table created before its clock starts (Sluice's with its lineage column). `sluice run`: the whole process, start-up included. " +
                      (chunk is null
                          ? "The pipelines use the default `chunk` policy (1,000,000 rows or 128 MiB, and a smaller file of at least 8 MiB spread over the cores, " +
                            $"here {ChunkedLoad.Cores}, in streamed chunks): " +
                            string.Join(", ", files.Select(f => $"{f.Rows:N0} rows loaded as {ChunksPerRun(f.Rows, rounds)} chunk(s)")) +
                            ", transformed side by side on the two workers, then loaded side by side, into the table with a primary key too (the pipeline declares `key`; " +
                            "`keyed_loads: in_order` would load its chunks one at a time in file order)."
                          : $"The pipelines say `chunk: {chunk}`.")).AppendLine();
        sb.AppendLine(BenchMachine.Describe(pgVersion)).AppendLine();
        foreach (var c in Cases)
        foreach (var (rows, csv) in files)
        {
            var reference = stats[(c, rows, "psql")].Median;
            sb.AppendLine($"## {(c == "pk" ? "Table with a primary key" : "Table without indexes")}{(several ? $": {Size(rows, csv)}" : "")}").AppendLine();
            sb.AppendLine("| contender | runs (s) | min (s) | median (s) | median / psql | s per million rows |");
            sb.AppendLine("|---|---|---|---|---|---|");
            foreach (var s in stats.Where(kv => kv.Key.Case == c && kv.Key.Rows == rows).Select(kv => kv.Value))
                sb.AppendLine($"| {s.Name} | {string.Join(", ", s.Seconds.Select(x => BenchStats.F(x)))} | {BenchStats.F(s.Min)} | {BenchStats.F(s.Median)} | " +
                              $"{BenchStats.F(s.Median / reference)}× | {BenchStats.F(s.Median / (rows / 1e6), "0.000")} |");
            sb.AppendLine();
        }
        if (several) Linearity(sb, files.Select(f => f.Rows).ToList(), stats);
        Spans(sb, files.Select(f => f.Rows).ToList());
        if (!pgloader) sb.AppendLine("pgloader is not in this report (not installed, or left out with --no-pgloader).").AppendLine();
        var streamedLoads = Cases.SelectMany(c => files.Select(f =>
        {
            var (streamed, all) = _serveLoads.GetValueOrDefault((c, f.Rows));
            return $"{(c == "pk" ? "primary key" : "no index")}{(several ? $", {f.Rows:N0} rows," : "")} {streamed} of {all}";
        }));
        sb.AppendLine($"Streamed loads (rows loaded as transform wrote them) among the timed serve runs' loads, one per chunk: {string.Join("; ", streamedLoads)}. " +
                      "The others loaded from the artifact in the load stage: of chunks loaded side by side those of a file spread over the cores (any with " +
                      "SLUICE_STREAM_CHUNKS=1), of chunks loaded " +
                      "in file order (`keyed_loads: in_order`) the first; either only when every chunk has a worker at once.").AppendLine();
        sb.AppendLine($"Peak RSS: `sluice serve` process {BenchStats.F(serveRss ?? double.NaN, "0")} MiB over all rounds{(several ? " and sizes" : "")}; " +
                      $"`sluice run` {BenchStats.F(runRss ?? double.NaN, "0")} MiB (max over runs).");
        return sb.ToString();
    }

    /// <summary>How many chunks each timed serve run of a file loaded (its loads, one per chunk, over the runs).</summary>
    private string ChunksPerRun(long rows, int rounds) =>
        _serveLoads.TryGetValue(("noindex", rows), out var loads) && rounds > 0 ? $"{(double)loads.Loads / rounds:0.#}" : "?";

    /// <summary>Where the timed serve runs' time went, median milliseconds per part.</summary>
    private void Spans(StringBuilder sb, IReadOnlyList<long> sizes)
    {
        sb.AppendLine("## Where a serve run's time went").AppendLine();
        sb.AppendLine("Median milliseconds of the timed serve runs: arrival is from the rename to the job recorded (the receive stage reads the file once, copying it into the job's workspace as it hashes it); each stage from its " +
                      "first start to its last end, as its rows record them (chunks side by side count once; transform includes a streamed load); " +
                      "\"between stages\" is the rest: from a stage's commit to the next one's claim, and the moment the benchmark learns of the job's end (from the notification its commit raises).").AppendLine();
        sb.AppendLine($"| table | rows | {string.Join(" | ", SpanNames)} | total |");
        sb.AppendLine($"|---|---|{string.Concat(SpanNames.Select(_ => "---|"))}---|");
        foreach (var c in Cases)
        foreach (var n in sizes)
        {
            if (!_serveSpans.TryGetValue((c, n), out var runs)) continue;
            var parts = SpanNames.Select((_, i) => BenchStats.MedianOf(runs.Select(r => r[i]))).ToList();
            sb.AppendLine($"| {(c == "pk" ? "primary key" : "no index")} | {n:N0} | {string.Join(" | ", parts.Select(v => BenchStats.F(v, "0")))} | " +
                          $"{BenchStats.F(BenchStats.MedianOf(runs.Select(r => r.Sum())), "0")} |");
        }
        sb.AppendLine();
    }

    /// <summary>Seconds per million rows of each contender at each size (medians), and how far apart they are: the
    /// largest over the smallest, less one. psql is also shown net of its own start-up, measured each round.</summary>
    private void Linearity(StringBuilder sb, IReadOnlyList<long> sizes, Dictionary<(string Case, long Rows, string Who), BenchStats> stats)
    {
        sb.AppendLine("## Cost per million rows").AppendLine();
        sb.AppendLine($"Median seconds per million rows at each size, and the spread: the largest over the smallest, less one. psql start-up (connect and " +
                      $"a `select 1`, once a round): median {BenchStats.F(_psqlStart.Median, "0.000")} s; the row \"psql, net of start-up\" subtracts it from every psql run.").AppendLine();
        sb.AppendLine($"| table | contender | {string.Join(" | ", sizes.Select(n => $"{n:N0}"))} | spread |");
        sb.AppendLine($"|---|---|{string.Concat(sizes.Select(_ => "---|"))}---|");
        foreach (var c in Cases)
        {
            var who = stats.Keys.Where(k => k.Case == c).Select(k => k.Who).Distinct().ToList();
            var rowsOf = who.Select(w => (Name: w, PerMillion: sizes.Select(n => stats[(c, n, w)].Median / (n / 1e6)).ToList())).ToList();
            rowsOf.Insert(1, ("psql, net of start-up", sizes.Select(n => (stats[(c, n, "psql")].Median - _psqlStart.Median) / (n / 1e6)).ToList()));
            foreach (var (name, perMillion) in rowsOf)
                sb.AppendLine($"| {(c == "pk" ? "primary key" : "no index")} | {name} | {string.Join(" | ", perMillion.Select(v => BenchStats.F(v, "0.000")))} | " +
                              $"{BenchStats.F((perMillion.Max() / perMillion.Min() - 1) * 100, "0")} % |");
        }
        sb.AppendLine();
    }
}
