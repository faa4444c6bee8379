using Sluice.Samples;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Workflows;

namespace Sluice.Tests.Recovery;

/// <summary>Real worker processes killed, stopped and crashed mid-stage; a real PostgreSQL decides what committed.</summary>
public sealed class WorkerCrashTests
{
    /// <param name="streamed">Whether large files load as transform writes them (the default) or from the artifact in the load stage.</param>
    private static Dictionary<string, string> WorkerEnv(TestEnvironment env, string lease = "2", string? fault = null, bool streamed = true)
    {
        var vars = env.CliEnvironment(lease, fault);
        if (!streamed) vars["SLUICE_STREAM_BYTES"] = "0";
        return vars;
    }

    /// <summary>The stage whose COPY stores the rows: transform for a streamed load, else load.</summary>
    private static string CopyingStage(bool streamed) => streamed ? "transform" : "load";

    /// <summary>Creates one job for a large payments file (trigger only; no workers in this process).</summary>
    private static async Task<(long Rows, string Sum)> ArriveAsync(TestEnvironment env, int rows)
    {
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(PaymentsPipeline.Whole));
        var file = Path.Combine(env.Home, "big.csv");
        var summary = PaymentsCsv.Write(file, rows, seed: 99);
        var host = env.StartHost(workers: 0);
        var target = Path.Combine(env.Settings.BucketsRoot, "inbox", "payments", "big.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(file, target);
        await env.UntilAnyAsync("select count(*) from sluice.jobs", TimeSpan.FromSeconds(60));
        await host.StopAsync();
        return (summary.Rows, PaymentsCsv.FormatCents(summary.AmountCents));
    }

    /// <summary>A worker that stops itself (SIGSTOP) at <paramref name="fault"/>, as a long pause would, once it is there.</summary>
    private static async Task<CliProcess> StallAsync(TestEnvironment env, string fault, bool streamed = true)
    {
        var stalled = CliProcess.Start(WorkerEnv(env, fault: "stop:" + fault, streamed: streamed), "worker", "--workers", "1");
        await stalled.WaitForErrorLineAsync($"SLUICE_FAULT: stopping this process at {fault}", TimeSpan.FromMinutes(2));
        return stalled;
    }

    /// <summary>Every row of the file is in the table once (its count, its keys, its exact sum), under one ledger row.</summary>
    private static async Task AssertLandedOnceAsync(TestEnvironment env, long rows, string sum)
    {
        Assert.Equal(rows, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(rows, await env.ScalarAsync<long>("select count(distinct transaction_id) from public.payments"));
        Assert.Equal(sum, await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        Assert.Equal(1L, await env.ScalarAsync<long>("select count(*) from sluice.load_ledger"));
    }

    /// <summary>While <paramref name="stalled"/> is stopped, another worker takes its job over and finishes it; then the
    /// stalled worker is continued, and must say it lost the lease.</summary>
    private static async Task TakeOverWhileStalledAsync(TestEnvironment env, CliProcess stalled, bool streamed = true)
    {
        try
        {
            using var other = CliProcess.Start(WorkerEnv(env, streamed: streamed), "worker", "--workers", "1");
            var job = Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(3)));
            Assert.True(job.Status == "succeeded", $"the job ended {job.Status}: {job.Error?.Code}: {job.Error?.Message}");
        }
        finally
        {
            stalled.Signal("CONT");
        }
        await stalled.WaitForErrorLineAsync("lost the lease", TimeSpan.FromMinutes(1));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_worker_killed_while_loading_is_replaced_and_every_row_lands_exactly_once(bool streamed)
    {
        await using var env = await TestEnvironment.CreateAsync();
        var (rows, sum) = await ArriveAsync(env, 300_000);

        // Killed by its own fault point mid-COPY: a kill sent from here on seeing a log line can arrive after the load.
        using (var doomed = CliProcess.Start(WorkerEnv(env, fault: "load.copying", streamed: streamed), "worker", "--workers", "1"))
        {
            await doomed.WaitForExitAsync(TimeSpan.FromMinutes(2));
            Assert.Contains("SLUICE_FAULT: killing this process at load.copying", doomed.StdErr);
        }
        using var rescuer = CliProcess.Start(WorkerEnv(env, streamed: streamed), "worker", "--workers", "1");
        var job = Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(3)));

        Assert.Equal("succeeded", job.Status);
        await AssertLandedOnceAsync(env, rows, sum);
        var copying = job.Stages.Where(s => s.Name == CopyingStage(streamed)).ToList();
        Assert.Equal(["abandoned", "succeeded"], copying.Select(s => s.Status));
        Assert.NotEqual(copying[0].WorkerId, copying[1].WorkerId);
        // The rescuer's transform (taken over) does not stream: the load stage loads the artifact, once.
        var load = job.Stages.Last(s => s.Name == "load");
        Assert.False(load.Outputs!["streamed"]!.GetValue<bool>());
        Assert.False(load.Outputs!["already_loaded"]!.GetValue<bool>());
        Assert.Equal(rows, job.Counts.Loaded);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_worker_stopped_past_its_lease_commits_nothing_after_another_finished_and_says_so(bool streamed)
    {
        await using var env = await TestEnvironment.CreateAsync();
        var (rows, sum) = await ArriveAsync(env, 300_000);

        // Stopped by its own fault point mid-COPY (SIGSTOP), so the stall is sure to fall inside the load.
        using var stalled = await StallAsync(env, "load.copying", streamed);
        await TakeOverWhileStalledAsync(env, stalled, streamed);
        Assert.Contains($"stage={CopyingStage(streamed)} ", stalled.StdErr.Split('\n').Single(l => l.Contains("lost the lease", StringComparison.Ordinal)));

        await AssertLandedOnceAsync(env, rows, sum);
        // Nothing else was queued or changed by the stalled worker after it resumed.
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from sluice.tasks where status in ('ready', 'running')"));
        Assert.Equal("succeeded", await env.ScalarAsync<string>("select status from sluice.jobs"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_crash_after_the_load_committed_is_recovered_from_the_ledger_without_loading_again(bool streamed)
    {
        await using var env = await TestEnvironment.CreateAsync();
        var (rows, sum) = await ArriveAsync(env, 20_000);   // 1.7 MB: above the streamed-load threshold

        using (var crashing = CliProcess.Start(WorkerEnv(env, fault: "load.commit", streamed: streamed), "worker", "--workers", "1"))
        {
            await crashing.WaitForExitAsync(TimeSpan.FromMinutes(2));
            Assert.Contains("SLUICE_FAULT: killing this process at load.commit", crashing.StdErr);
        }
        Assert.Equal(rows, await env.ScalarAsync<long>("select count(*) from public.payments"));

        using var next = CliProcess.Start(WorkerEnv(env, streamed: streamed), "worker", "--workers", "1");
        var job = Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(2)));

        Assert.Equal("succeeded", job.Status);
        Assert.Equal(rows, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(sum, await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        // The crash was in the stage that copied; its next run found the ledger row and loaded nothing again.
        Assert.Equal("abandoned", job.Stages.First(s => s.Name == CopyingStage(streamed)).Status);
        var load = job.Stages.Last(s => s.Name == "load");
        Assert.True(load.Outputs!["already_loaded"]!.GetValue<bool>());
        Assert.Equal(rows, job.Counts.Loaded);
    }

    [Theory]
    // A small file: download, transform and load run in one lane, killed as the load commits.
    [InlineData(100, "load.commit", "download", "transform,load", "download:abandoned,download:succeeded,transform:succeeded,load:succeeded,publish:succeeded")]
    // A small file's publish runs inside the lane's commit, opened before it: killed there, that commit never happens.
    [InlineData(100, "publish.start", "download", "transform,load,publish", "download:abandoned,download:succeeded,transform:succeeded,load:succeeded,publish:succeeded")]
    // A streamed file (1.7 MB, above the 1 MiB streamed-load threshold): transform's worker runs the load stage (a
    // ledger read) in a lane after it, killed between the two.
    [InlineData(20_000, "express.next", "transform", "load", "download:succeeded,transform:abandoned,transform:succeeded,load:succeeded,publish:succeeded")]
    public async Task A_crash_in_an_express_lane_loses_its_records_not_its_rows_and_the_job_goes_on_one_stage_at_a_time_loading_once(
        int fileRows, string fault, string claimed, string unrecorded, string stages)
    {
        await using var env = await TestEnvironment.CreateAsync();
        var (rows, sum) = await ArriveAsync(env, fileRows);

        using (var crashing = CliProcess.Start(WorkerEnv(env, fault: fault), "worker", "--workers", "1"))
        {
            await crashing.WaitForExitAsync(TimeSpan.FromMinutes(2));
            Assert.Contains($"SLUICE_FAULT: killing this process at {fault}", crashing.StdErr);
        }
        // The rows committed with their ledger row; nothing of the lane reached the control plane.
        Assert.Equal(rows, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from sluice.job_stages where name = any(string_to_array($1, ','))", unrecorded));
        Assert.Equal("running", await env.ScalarAsync<string>("select status from sluice.job_stages where name = $1", claimed));

        using var next = CliProcess.Start(WorkerEnv(env), "worker", "--workers", "1");
        var job = Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(2)));

        Assert.Equal("succeeded", job.Status);
        await AssertLandedOnceAsync(env, rows, sum);
        Assert.Equal(stages.Split(','), job.Stages.Where(s => s.Name != "receive").Select(s => $"{s.Name}:{s.Status}"));
        // The stage run again (a streamed transform taken over does not stream) leaves the load stage the ledger row.
        Assert.True(job.Stages.Single(s => s.Name == "load").Outputs!["already_loaded"]!.GetValue<bool>());
        Assert.Equal(rows, job.Counts.Loaded);
        // After the take-over every stage ran on a task of its own.
        Assert.Equal("download,transform,load,publish", await env.ScalarAsync<string>(
            "select string_agg(stage, ',' order by id) from sluice.tasks where job_id = $1", job.Id));
    }

    [Fact]
    public async Task A_worker_stalled_in_the_commit_it_holds_open_for_publish_is_taken_over_once_the_database_ends_that_commit()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var (rows, sum) = await ArriveAsync(env, 100);

        // The worker stops itself (SIGSTOP) as publish starts, inside the lane's open commit, which holds the task's row.
        using var stalled = await StallAsync(env, "publish.start");
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from sluice.job_stages where name in ('transform', 'load', 'publish')"));
        // The database ends that session once it has waited a lease for the worker; the task is then taken over.
        await TakeOverWhileStalledAsync(env, stalled);

        await AssertLandedOnceAsync(env, rows, sum);
        var job = Assert.Single(await env.WaitForJobsAsync(1));
        Assert.Equal("succeeded", job.Status);
        // Resumed, the stalled worker found its commit gone and its lease taken: nothing of its run was recorded.
        Assert.Equal("download:abandoned,download:succeeded,transform:succeeded,load:succeeded,publish:succeeded",
            string.Join(',', job.Stages.Where(s => s.Name != "receive").Select(s => $"{s.Name}:{s.Status}")));
    }

    [Fact]
    public async Task A_worker_stalled_inside_the_express_lane_past_its_lease_starts_no_further_stage_when_it_resumes()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var (rows, sum) = await ArriveAsync(env, 100);

        // The worker stops itself (SIGSTOP) in the lane after download, as a long pause would.
        using var stalled = await StallAsync(env, "express.next");
        await TakeOverWhileStalledAsync(env, stalled);

        // Resumed, it proved its lease before going on and found it gone: it never started transform in the job's
        // workspace, which by then belonged to the worker that took the job over.
        Assert.False(stalled.StdErr.Contains("stage=transform", StringComparison.Ordinal), stalled.StdErr);
        await AssertLandedOnceAsync(env, rows, sum);
    }
}
