using Sluice.Samples;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Workflows;

namespace Sluice.Tests.Recovery;

public sealed class PoisonAndShutdownTests
{
    private static Dictionary<string, string> WorkerEnv(TestEnvironment env, string lease, string? fault = null, string grace = "20") =>
        env.CliEnvironment(lease, fault, grace);

    [Fact]
    public async Task A_file_that_crashes_its_worker_every_time_fails_after_max_attempts_while_other_jobs_flow()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());   // retry.max_attempts: 3
        var host = env.StartHost(workers: 0);
        for (var i = 0; i < 4; i++)
            env.Drop("inbox", $"payments/good{i}.csv", PaymentsCsv.Header + $"\n{i},1,1,1.00,EUR,2026-01-01 00:00:00,x,booked\n");
        env.Drop("inbox", "payments/poison.csv", PaymentsCsv.Header + "\n99,1,1,1.00,EUR,2026-01-01 00:00:00,x,booked\n");

        // Like a supervisor (systemd, Kubernetes), start a new worker whenever one dies, until all jobs have ended.
        var crashes = 0;
        var jobsTask = env.WaitForJobsAsync(5, TimeSpan.FromMinutes(3));
        while (!jobsTask.IsCompleted)
        {
            using var worker = CliProcess.Start(WorkerEnv(env, lease: "1", fault: "transform.start@poison"), "worker", "--workers", "1");
            var exited = worker.WaitForExitAsync(TimeSpan.FromMinutes(3));
            if (await Task.WhenAny(exited, jobsTask) == exited) { crashes++; continue; }
            worker.Signal("TERM");
            await worker.WaitForExitAsync(TimeSpan.FromSeconds(60));
        }
        var jobs = await jobsTask;
        await host.StopAsync();

        var poison = jobs.Single(j => j.Source.Key == "payments/poison.csv");
        Assert.Equal("failed", poison.Status);
        Assert.Equal("stage.exhausted", poison.Error!.Code);
        Assert.Contains("did not finish in 3 tries", poison.Error.Message);
        // The first crash is in the express lane, under the task of the job's first stage (download): after that
        // take-over the job runs one stage at a time, and its transform task crashes its three tries.
        Assert.Equal(4, crashes);
        Assert.Equal("lease.expired", Assert.Single(poison.Stages, s => s.Name == "download" && s.Status == "abandoned").Error!.Code);
        Assert.Equal(3, poison.Stages.Count(s => s.Name == "transform" && s.Status == "abandoned"));
        Assert.All(jobs.Where(j => j != poison), j => Assert.Equal("succeeded", j.Status));
        Assert.Equal(4L, await env.ScalarAsync<long>("select count(*) from public.payments"));
    }

    [Fact]
    public async Task On_SIGTERM_a_worker_hands_its_task_back_and_the_next_worker_takes_it_at_once()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(PaymentsPipeline.Whole));
        var host = env.StartHost(workers: 0);
        var file = Path.Combine(env.Home, "big.csv");
        var rows = PaymentsCsv.Write(file, 400_000, seed: 4).Rows;
        var target = Path.Combine(env.Settings.BucketsRoot, "inbox", "payments", "big.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(file, target);

        // A lease of 5 minutes: if the task were not handed back, nobody could take it over within this test.
        // The worker stops itself as transform starts, so the SIGTERM is sure to find transform running (one sent on
        // seeing a log line can arrive after it finished); the TERM waits until the worker is continued.
        using (var first = CliProcess.Start(WorkerEnv(env, lease: "300", grace: "0", fault: "stop:transform.start"), "worker", "--workers", "1"))
        {
            await first.WaitForErrorLineAsync("SLUICE_FAULT: stopping this process at transform.start", TimeSpan.FromMinutes(2));
            first.Signal("TERM");
            first.Signal("CONT");
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("handed transform back to the queue", first.StdErr);
        }
        using var second = CliProcess.Start(WorkerEnv(env, lease: "300"), "worker", "--workers", "1");
        var job = Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(2)));
        await host.StopAsync();

        Assert.Equal("succeeded", job.Status);
        Assert.Equal(rows, await env.ScalarAsync<long>("select count(*) from public.payments"));
        var transforms = job.Stages.Where(s => s.Name == "transform").ToList();
        Assert.Equal(["abandoned", "succeeded"], transforms.Select(s => s.Status));
        Assert.Equal("worker.stopping", transforms[0].Error!.Code);
        // Handing back does not count as a try.
        Assert.Equal(1, transforms[1].Try);
    }
}
