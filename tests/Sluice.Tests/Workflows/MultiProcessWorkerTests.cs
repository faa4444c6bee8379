using Sluice.Samples;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Workflows;

public sealed class MultiProcessWorkerTests
{
    [Fact]
    public async Task Two_worker_processes_racing_for_tasks_never_run_one_twice()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        // Jobs are created in this process (trigger only, no workers); the two worker processes do all the work.
        var host = env.StartHost(workers: 0);
        const int files = 24;
        for (var i = 0; i < files; i++)
        {
            var f = Path.Combine(env.Home, $"f{i}.csv");
            PaymentsCsv.Write(f, 200, seed: i, firstId: i * 1000L);
            env.Drop("inbox", $"payments/f{i}.csv", File.ReadAllText(f));
        }
        var envVars = env.CliEnvironment(logLevel: "warn");
        using var a = CliProcess.Start(envVars, "worker", "--workers", "3");
        using var b = CliProcess.Start(envVars, "worker", "--workers", "3");

        var jobs = await env.WaitForJobsAsync(files, TimeSpan.FromMinutes(3));

        Assert.Equal(files, jobs.Count);
        Assert.All(jobs, j => Assert.Equal("succeeded", j.Status));
        // Each stage of each job ran exactly once: one stage row per (job, stage), none abandoned or retried.
        Assert.Equal(0L, await env.ScalarAsync<long>(
            "select count(*) from (select job_id, name from sluice.job_stages group by 1, 2 having count(*) > 1) d"));
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from sluice.job_stages where status <> 'succeeded'"));
        Assert.Equal((long)files * 200, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal((long)files * 200, await env.ScalarAsync<long>("select count(distinct transaction_id) from public.payments"));
        Assert.Equal((long)files, await env.ScalarAsync<long>("select count(*) from sluice.load_ledger"));
        // Both processes took part.
        var workers = await env.ScalarAsync<long>("select count(distinct split_part(worker_id, '/', 1)) from sluice.job_stages where name <> 'receive'");
        Assert.Equal(2L, workers);

        a.Signal("TERM");
        b.Signal("TERM");
        Assert.Equal(0, await a.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, await b.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        await host.StopAsync();
    }
}
