using Npgsql;
using Sluice.Control;
using Sluice.Postgres.Embedded;
using Sluice.Samples;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Workflows;

namespace Sluice.Tests.Recovery;

public sealed class DatabaseRestartTests
{
    /// <param name="crash">Stop PostgreSQL as a crash would (immediate: the stage commits that do not wait for the
    /// disk and were not yet written are lost, and their stages run again), instead of a clean restart.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Jobs_running_while_PostgreSQL_restarts_or_crashes_all_end_and_the_workers_reconnect_by_themselves(bool crash)
    {
        // A server of this test's own: restarting the shared one would disturb every other test.
        var home = Path.Combine(Path.GetTempPath(), "sluice-restart-" + Guid.NewGuid().ToString("N")[..8]);
        var pg = EmbeddedPostgres.For(home);
        try
        {
            await pg.EnsureRunningAsync(CancellationToken.None, ["fsync=off"]);
            await using var env = await TestEnvironment.CreateAsync(pg.ConnectionString());
            env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml().Replace("max_attempts: 3, backoff: 200ms", "max_attempts: 10, backoff: 500ms"));
            env.StartHost(workers: 2);
            const int files = 12;
            long expected = 0;
            for (var i = 0; i < files; i++)
            {
                var f = Path.Combine(env.Home, $"r{i}.csv");
                expected += PaymentsCsv.Write(f, 20_000, seed: i, firstId: i * 100_000L).Rows;
                var target = Path.Combine(env.Settings.BucketsRoot, "inbox", "payments", $"r{i}.csv");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(f, target);
            }
            // Restart as soon as work is under way, then once more while the rest runs.
            IReadOnlyList<JobView> jobs;
            try
            {
                await TestEnvironment.UntilAsync(async () => await CountAsync(pg, "select count(*) from sluice.job_stages where name = 'load'") > 0,
                    TimeSpan.FromMinutes(2), "a load to start");
                await pg.StopAsync(CancellationToken.None, immediate: crash);
                await pg.EnsureRunningAsync(CancellationToken.None, ["fsync=off"]);
                await TestEnvironment.UntilAsync(
                    async () => await CountAsync(pg, "select count(*) from sluice.jobs where status in ('succeeded', 'failed')") >= files / 2,
                    TimeSpan.FromMinutes(2), "half the jobs to end");
                await pg.StopAsync(CancellationToken.None, immediate: crash);
                await pg.EnsureRunningAsync(CancellationToken.None, ["fsync=off"]);
                jobs = await env.WaitForJobsAsync(files, TimeSpan.FromMinutes(4));
            }
            catch (OperationCanceledException)
            {
                // Seen in full runs on a loaded machine, never alone: say what was left unfinished, and where.
                Assert.Fail("jobs still not ended in time: " + await env.ScalarAsync<string>(
                    "select coalesce(string_agg(j.source_key || ' ' || j.status || ' [' || coalesce((select string_agg(t.stage || " +
                    "coalesce(' chunk ' || t.chunk, '') || ' ' || t.status || ' try ' || t.tries || '/' || t.max_tries || " +
                    "coalesce(' lease ' || t.lease_owner || ' until ' || t.lease_expires_at, '') || ' due ' || t.run_after, '; ') " +
                    "from sluice.tasks t where t.job_id = j.id), 'no task') || ']', ' | '), 'none') || ' at ' || now() || " +
                    "'; of ' || (select count(*) from sluice.jobs) || ' jobs' " +
                    // What the wait also needs: no task left ready or running, for ended jobs too.
                    "from sluice.jobs j where j.status not in ('succeeded', 'failed') or exists (select 1 from sluice.tasks t " +
                    "where t.job_id = j.id and t.status in ('ready', 'running'))"));
                throw;
            }

            Assert.Equal(files, jobs.Count);
            Assert.DoesNotContain(jobs, j => j.Status is "running" or "queued");
            Assert.All(jobs.Where(j => j.Status == "failed"), j => Assert.False(string.IsNullOrEmpty(j.Error?.Message)));
            var succeeded = jobs.Where(j => j.Status == "succeeded").ToList();
            Assert.True(succeeded.Count > 0, "no job succeeded: " + string.Join("; ", jobs.Select(j => $"{j.Error?.Code}: {j.Error?.Message}").Distinct()));
            // Whatever succeeded landed exactly once.
            Assert.Equal(succeeded.Sum(j => j.Counts.Loaded ?? 0), await CountAsync(pg, "select count(*) from public.payments"));
            Assert.Equal(await CountAsync(pg, "select count(*) from public.payments"), await CountAsync(pg, "select count(distinct transaction_id) from public.payments"));
        }
        finally
        {
            await pg.StopAsync(CancellationToken.None);
            try { Directory.Delete(pg.ClusterDirectory, true); Directory.Delete(home, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_worker_whose_commit_waits_out_a_whole_lease_for_PostgreSQL_goes_on_claiming_and_the_job_ends_once_it_is_back()
    {
        var home = Path.Combine(Path.GetTempPath(), "sluice-outage-" + Guid.NewGuid().ToString("N")[..8]);
        var pg = EmbeddedPostgres.For(home);
        try
        {
            await pg.EnsureRunningAsync(CancellationToken.None, ["fsync=off"]);
            await using var env = await TestEnvironment.CreateAsync(pg.ConnectionString());
            env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
            var host = env.StartHost(workers: 0);
            // Above the express lane's 64 KiB: the download is recorded on its own, as soon as it is done.
            var (_, file) = env.DropPayments("payments/outage.csv", 2_000, seed: 7);

            // One worker, stopped as its stage starts; PostgreSQL goes away meanwhile, so the stage's record cannot be
            // written for longer than the lease (3 s) its commit retries for.
            using var worker = CliProcess.Start(env.CliEnvironment(lease: "3", fault: "stop:download.start"), "worker", "--workers", "1");
            await worker.WaitForErrorLineAsync("SLUICE_FAULT: stopping this process at download.start", TimeSpan.FromMinutes(2));
            await pg.StopAsync(CancellationToken.None);
            worker.Signal("CONT");
            await worker.WaitForErrorLineAsync("cannot record the end of", TimeSpan.FromMinutes(1));
            // Having given up on that record, the worker is back at claiming (it died here, leaving the task to no one),
            // and once PostgreSQL is back it takes the task over.
            await worker.WaitForErrorLineAsync("cannot claim tasks", TimeSpan.FromMinutes(1));
            await pg.EnsureRunningAsync(CancellationToken.None, ["fsync=off"]);
            env.ControlPlane.DataSource.Clear();   // this test's own connections from before the outage
            await worker.WaitForErrorLineAsync("took over download (try 2)", TimeSpan.FromMinutes(1));
            // The outage is said once, not once a second, and its end too.
            await worker.WaitForErrorLineAsync("claiming tasks again after", TimeSpan.FromMinutes(1));
            Assert.Single(worker.StdErr.Split('\n'), l => l.Contains("cannot claim tasks", StringComparison.Ordinal));
            // It stops again at the fault point: a worker without one finishes the job once that lease runs out.
            await worker.WaitForErrorLineAsync("download started (try 2/3)", TimeSpan.FromMinutes(1));
            worker.Signal("KILL");
            using var second = CliProcess.Start(env.CliEnvironment(lease: "3"), "worker", "--workers", "1");

            var job = Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(2)));
            await host.StopAsync();
            Assert.Equal("succeeded", job.Status);
            Assert.Equal(file.Rows, await CountAsync(pg, "select count(*) from public.payments"));
            Assert.Equal(file.Rows, await CountAsync(pg, "select count(distinct transaction_id) from public.payments"));
            second.Signal("TERM");
            Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            await pg.StopAsync(CancellationToken.None);
            try { Directory.Delete(pg.ClusterDirectory, true); Directory.Delete(home, true); } catch (IOException) { }
        }
    }

    private static async Task<long> CountAsync(EmbeddedPostgres pg, string sql)
    {
        // Unpooled, so the probe itself never trips over a connection from before the restart.
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(pg.ConnectionString()) { Pooling = false }.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
