using System.Diagnostics;
using System.Text;
using Sluice.Cli.Output;
using Sluice.Samples;

namespace Sluice.Cli.Bench;

/// <summary>
/// Many small files at once: drops N files of about 1 KB into the inbox of a running `sluice serve` in one burst and
/// measures jobs per second and the latency of each job from its arrival to `succeeded`, with full durability
/// (synchronous commit on; every stage recorded; ledger written).
/// </summary>
/// <remarks>With a rate, files arrive evenly spaced instead: the latency a steady arrival rate sees. Pacing waits on the
/// clock, which is what a benchmark of arrival rates is about (tests never do).</remarks>
internal sealed class StormBenchmark(BenchDatabase db, string workDir, string dllPath, int workers, int warmup = 1, double rate = 0)
{
    private readonly DateTime _started = DateTime.UtcNow;
    // Keys unique to this run: the same content under the same key would (rightly) be the same job as last time.
    private readonly string _run = DateTime.UtcNow.ToString("yyyyMMddHHmmss");

    public async Task<string> RunAsync(int files, CancellationToken ct)
    {
        var home = Path.Combine(workDir, "storm-home");
        if (Directory.Exists(home)) DeleteHome(home);
        var pipelines = Path.Combine(home, "pipelines");
        Directory.CreateDirectory(pipelines);
        await File.WriteAllTextAsync(Path.Combine(pipelines, "storm.yaml"), $"""
            name: storm
            on: {"{"} bucket: storm, match: "*.csv" {"}"}
            workflow: load
            source: {"{"} format: csv {"}"}
            {PaymentsCsv.PipelineSchema}
            target: {"{"} table: public.bench_storm, mode: append {"}"}
            output: {"{"} bucket: storm-out {"}"}
            """, ct);
        await db.DropAsync("bench_storm", ct);
        var inbox = Path.Combine(home, "buckets", "storm");
        // Written beside the inbox in a hidden folder of the bucket, then renamed in: as a producer writing a temporary
        // name and renaming it when complete, which the trigger takes at once.
        var staging = Path.Combine(inbox, ".staging");
        Directory.CreateDirectory(staging);
        Directory.CreateDirectory(inbox);
        for (var i = 0; i < files; i++)
            PaymentsCsv.Write(Path.Combine(staging, $"{_run}-s{i:D5}.csv"), 10, seed: i, firstId: i * 100L + 1);
        var env = BenchServe.Environment(home, pipelines, db.ConnectionString);
        using var serve = await BenchServe.StartAsync(dllPath, workers, env, ct);
        return await MeasureAsync(serve, files, staging, inbox, home, ct);
    }

    /// <summary>How long PostgreSQL may take to publish an idle backend's statistics (PGSTAT_IDLE_INTERVAL), and a second more.</summary>
    private static readonly TimeSpan StatsSettle = TimeSpan.FromSeconds(11);

    private async Task<string> MeasureAsync(BenchServe serve, int files, string staging, string inbox, string home, CancellationToken ct)
    {

        // Warm-up: jobs before the burst (by default 300, as a serve that has been running has done), so start-up
        // compilation is not counted as latency; --warmup 1 measures a serve started just before.
        for (var w = 1; w <= warmup; w++)
        {
            File.Copy(Path.Combine(staging, $"{_run}-s00000.csv"), Path.Combine(staging, "warm.csv"));
            File.Move(Path.Combine(staging, "warm.csv"), Path.Combine(inbox, $"{_run}-warm{w:D4}.csv"));
        }
        await WaitForAsync(warmup, ct);
        await Task.Delay(StatsSettle, ct);
        var referenceBefore = BenchMachine.CpuReferenceMs();
        await db.QuietAsync(ct);
        var deletedAgo = SinceLastDelete();
        if (deletedAgo < InodeQuarantine)
            Terminal.Line($"  note: a storm run deleted its files {deletedAgo.TotalSeconds:0} s ago; on ext4 without a journal this run's new files " +
                          "skip those inodes one by one, which can cost a third of the throughput (bench/README.md)");

        Terminal.Line(rate > 0 ? $"  dropping {files:N0} files at {rate:0.#} a second…" : $"  dropping {files:N0} files…");
        var arrived = new Dictionary<string, DateTime>(files);
        // WAL flushes and volume (cluster-wide): what durability costs per job, steadier than CPU time on a noisy machine.
        // Transactions of the benchmark's database: commits per job (a claim that found no task among them, one statement
        // that writes nothing), and rollbacks. A busy backend reports its statistics at most once a second and an idle one
        // within 10 s, hence a quiet wait before each reading (the idle serve's polls in it add about 0.1 claims per job).
        const string StatsSql = "select wal_sync::float8 || ' ' || wal_bytes::float8 || ' ' || d.xact_commit::float8 || ' ' || d.xact_rollback::float8 " +
                              "from pg_stat_wal, pg_stat_database d where d.datname = current_database()";
        async Task<double[]> ReadStatsAsync() => (await db.ScalarAsync<string>(StatsSql, ct)).Split(' ')
            .Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var statsBefore = await ReadStatsAsync();
        var (serveCpu, postgresCpu) = (serve.CpuSeconds(), BenchMachine.PostgresCpuSeconds());
        var burst = Stopwatch.StartNew();
        for (var i = 0; i < files; i++)
        {
            if (rate > 0 && TimeSpan.FromSeconds(i / rate) - burst.Elapsed is { Ticks: > 0 } wait) await Task.Delay(wait, ct);
            var name = $"{_run}-s{i:D5}.csv";
            File.Move(Path.Combine(staging, name), Path.Combine(inbox, name));
            arrived[name] = DateTime.UtcNow;
        }
        var dropSeconds = burst.Elapsed.TotalSeconds;
        await WaitForAsync(files + warmup, ct);
        var burstSeconds = burst.Elapsed.TotalSeconds;
        (serveCpu, postgresCpu) = (serve.CpuSeconds() - serveCpu, BenchMachine.PostgresCpuSeconds() - postgresCpu);
        var peakRss = serve.PeakRssMiB();
        var referenceAfter = BenchMachine.CpuReferenceMs();
        await Task.Delay(StatsSettle, ct);
        var statsAfter = await ReadStatsAsync();
        var (walFlushes, walBytes) = (statsAfter[0] - statsBefore[0], statsAfter[1] - statsBefore[1]);
        var (commits, rollbacks) = (statsAfter[2] - statsBefore[2], statsAfter[3] - statsBefore[3]);

        var latencies = new List<double>(files);
        DateTime last = default;
        await using (var conn = new Npgsql.NpgsqlConnection(db.ConnectionString))
        {
            await conn.OpenAsync(ct);
            await using var cmd = new Npgsql.NpgsqlCommand("select source_key, finished_at, status from sluice.jobs where source_bucket = 'storm' and source_key not like '%-warm____.csv' and created_at >= $1", conn);
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = _started });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                if (r.GetString(2) != "succeeded") throw new InvalidOperationException($"job for {r.GetString(0)} ended {r.GetString(2)}");
                var finished = r.GetDateTime(1).ToUniversalTime();
                latencies.Add((finished - arrived[r.GetString(0)]).TotalMilliseconds);
                if (finished > last) last = finished;
            }
        }
        // Where a job's time goes: each stage's run time as recorded (claim to commit; in the express lane, from its start
        // to its end) over the burst's jobs.
        var stages = new List<string>();
        await using (var conn = new Npgsql.NpgsqlConnection(db.ConnectionString))
        {
            await conn.OpenAsync(ct);
            await using var cmd = new Npgsql.NpgsqlCommand("""
                select s.name, count(*), avg(extract(epoch from s.finished_at - s.started_at)) * 1000,
                       percentile_cont(0.5) within group (order by extract(epoch from s.finished_at - s.started_at)) * 1000
                from sluice.job_stages s join sluice.jobs j on j.id = s.job_id
                where j.source_bucket = 'storm' and j.source_key not like '%-warm____.csv' and j.created_at >= $1
                  and s.name <> 'receive' and s.finished_at is not null
                group by s.name order by min(s.id)
                """, conn);
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = _started });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                stages.Add($"| {r.GetString(0)} | {r.GetInt64(1):N0} | {r.GetDouble(2):0.0} | {r.GetDouble(3):0.0} |");
        }
        var loaded = await db.ScalarAsync<long>("select count(*) from public.bench_storm", ct);
        if (loaded != (files + warmup) * 10L) throw new InvalidOperationException($"bench_storm holds {loaded} rows, expected {(files + warmup) * 10}");
        var first = arrived.Values.Min();
        var jobsPerSecond = files / (last - first).TotalSeconds;
        latencies.Sort();
        double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
        await db.DropAsync("bench_storm", ct);
        var version = await db.ScalarAsync<string>("show server_version", ct);
        var sync = await db.ScalarAsync<string>("show synchronous_commit", ct);
        DeleteHome(home);

        var sb = new StringBuilder();
        var arrival = rate > 0 ? $"at {rate:0.#} files a second, evenly spaced" : "in one burst";
        sb.AppendLine(rate > 0 ? $"# Storm benchmark: {files:N0} small files at {rate:0.#} a second" : $"# Storm benchmark: {files:N0} small files at once").AppendLine();
        sb.AppendLine($"Command: `./sluice bench storm --files {files} --workers {workers} --warmup {warmup}{(rate > 0 ? $" --rate {rate:0.#}" : "")}`. " +
                      $"{files:N0} payments CSVs of 10 rows " +
                      $"(about 1 KB) are renamed into the inbox of a running `sluice serve --workers {workers}` {arrival} " +
                      $"({dropSeconds:0.00} s to drop them all), after {warmup:N0} warm-up job(s) " +
                      (warmup > 1 ? "(a serve that has been running)" : "(a serve started just before)") +
                      "; latency is from each file's rename to its job's `succeeded` " +
                      $"(every stage recorded, rows and ledger committed, published). Server synchronous_commit = {sync}: rows, ledger and " +
                      "job outcomes wait for the disk, other stage commits do not (docs/state-machines.md); files renamed into place, so taken without the settle interval; " +
                      "11 s without new files (so PostgreSQL's statistics are current), then a checkpoint and a `sync` just before the files arrive.").AppendLine();
        sb.AppendLine(BenchMachine.Describe(version)).AppendLine();
        sb.AppendLine("| jobs | jobs/s | p50 ms | p95 ms | p99 ms | max ms | peak RSS (serve) |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        sb.AppendLine($"| {files:N0} | {jobsPerSecond:0.0} | {P(0.50):0} | {P(0.95):0} | {P(0.99):0} | {latencies[^1]:0} | {BenchStats.F(peakRss ?? double.NaN, "0")} MiB |");
        var perJob = (serveCpu + postgresCpu) * 1000 / files;
        sb.AppendLine().AppendLine(
            $"CPU per job over the burst ({burstSeconds:0.0} s, {Environment.ProcessorCount} cores): serve {serveCpu * 1000 / files:0.0} ms, " +
            $"PostgreSQL {postgresCpu * 1000 / files:0.0} ms, together {perJob:0.0} ms — all cores busy would allow " +
            $"{Environment.ProcessorCount * 1000 / perJob:0} jobs/s; the cores were {(serveCpu + postgresCpu) / burstSeconds / Environment.ProcessorCount:P0} busy with these two. " +
            $"WAL: {walFlushes / files:0.00} flushes and {walBytes / files / 1024:0.0} KiB per job. " +
            $"Transactions per job: {commits / files:0.0} committed (a claim that finds no task counts among them: one statement that writes nothing), {rollbacks / files:0.00} rolled back. " +
            $"CPU reference (`BenchMachine.CpuReferenceMs`, lower is faster): {referenceBefore:0} ms before the files arrived, " +
            $"{referenceAfter:0} ms after the last job — compare it across reports before comparing their figures. " +
            (deletedAgo < InodeQuarantine
                ? $"**A storm run had deleted its files {deletedAgo.TotalSeconds:0} s before the burst**: on ext4 without a journal, new files skip " +
                  "inodes deleted in the last one to five minutes one by one, which cost this machine up to a third of its throughput (bench/README.md)."
                : "No storm run had deleted its files in the five minutes before the burst (bench/README.md says why that matters)."));
        var expressBytes = Sluice.Configuration.SluiceSettings.FromEnvironment().ExpressBytes;
        var lane = expressBytes >= 2048
            ? $"download, transform, load and publish of these small files run in the express lane (SLUICE_EXPRESS_BYTES = {expressBytes:N0}): recorded from each stage's start to its end and committed together"
            : $"the express lane is off (SLUICE_EXPRESS_BYTES = {expressBytes:N0}): every stage runs on its own task";
        sb.AppendLine().AppendLine($"Stage run times, as each stage row records them (from claim to commit; {lane}), while the burst ran; the rest of a job's latency is waiting in the queue:").AppendLine();
        sb.AppendLine("| stage | runs | mean ms | p50 ms |").AppendLine("|---|---|---|---|");
        foreach (var line in stages) sb.AppendLine(line);
        return sb.ToString();
    }

    /// <summary>How long ext4 without a journal avoids reusing a deleted inode (60 s, or 300 s while its inode table
    /// block is unwritten): new files created meanwhile skip such inodes one at a time.</summary>
    private static readonly TimeSpan InodeQuarantine = TimeSpan.FromMinutes(5);

    private string DeleteStamp => Path.Combine(workDir, "storm-home.deleted");

    /// <summary>Deletes a run's home and notes when, so the next run can say whether it ran among recently deleted inodes.</summary>
    private void DeleteHome(string home)
    {
        Directory.Delete(home, recursive: true);
        File.WriteAllText(DeleteStamp, "");
    }

    private TimeSpan SinceLastDelete() =>
        File.Exists(DeleteStamp) ? DateTime.UtcNow - File.GetLastWriteTimeUtc(DeleteStamp) : TimeSpan.MaxValue;

    private async Task WaitForAsync(int jobs, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        // The run has its database to itself: an index-only count of the ended jobs, cheap enough to ask every 50 ms.
        while (await db.ScalarAsync<long>("select count(*) from sluice.jobs where status in ('succeeded', 'failed')", ct) < jobs)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the storm did not finish within 10 minutes");
            await Task.Delay(50, ct);
        }
    }
}
