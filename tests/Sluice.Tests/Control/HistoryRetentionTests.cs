using System.Text.Json;
using Sluice.Control;
using Sluice.Samples;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Workflows;

namespace Sluice.Tests.Control;

/// <summary>History retention (<c>sluice history prune</c>, serve's <c>SLUICE_HISTORY_RETENTION</c>) on a real control
/// plane: jobs are aged by moving their end, events and log lines back in the database.</summary>
public sealed class HistoryRetentionTests
{
    private static async Task<(TestEnvironment Env, JobView Old, JobView Recent)> TwoJobsAsync()
    {
        var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var host = env.StartHost();
        foreach (var (key, seed) in new[] { ("payments/old.csv", 1), ("payments/recent.csv", 2) })
        {
            var file = Path.Combine(env.Home, $"p{seed}.csv");
            PaymentsCsv.Write(file, 20, seed);
            env.Drop("inbox", key, File.ReadAllText(file));
            await env.WaitForJobsAsync(seed);
        }
        var jobs = await env.WaitForJobsAsync(2);
        await host.FlushLogsAsync(TimeSpan.FromSeconds(30));
        return (env, jobs.Single(j => j.Source.Key == "payments/old.csv"), jobs.Single(j => j.Source.Key == "payments/recent.csv"));
    }

    private static Task<long> CountAsync(TestEnvironment env, string table, Guid job) =>
        env.ScalarAsync<long>($"select count(*) from {table} where job_id = $1", job);

    [Fact]
    public async Task Prune_removes_old_events_and_the_log_lines_of_jobs_that_ended_long_ago_and_keeps_the_jobs()
    {
        var (env, old, recent) = await TwoJobsAsync();
        await using var _ = env;
        await env.ExecuteAsync($"update sluice.jobs set finished_at = now() - interval '100 days' where id = '{old.Id}'");
        await env.ExecuteAsync($"update sluice.events set created_at = now() - interval '100 days' where job_id = '{old.Id}'");
        await env.ExecuteAsync($"update sluice.job_logs set at = now() - interval '100 days' where job_id = '{old.Id}'");
        // An old log line of a job that has not ended that long ago stays (a job replayed since, say).
        await env.ExecuteAsync($"update sluice.job_logs set at = now() - interval '100 days' where job_id = '{recent.Id}'");
        var (oldEvents, oldLogs) = (await CountAsync(env, "sluice.events", old.Id), await CountAsync(env, "sluice.job_logs", old.Id));
        var (recentEvents, recentLogs) = (await CountAsync(env, "sluice.events", recent.Id), await CountAsync(env, "sluice.job_logs", recent.Id));
        Assert.True(oldEvents > 3 && oldLogs > 0 && recentEvents > 3 && recentLogs > 0, $"{oldEvents} {oldLogs} {recentEvents} {recentLogs}");
        var stages = await env.ScalarAsync<long>("select count(*) from sluice.job_stages");
        var pruner = new HistoryPruner(env.ControlPlane.DataSource, batchSize: 3); // several batches

        var dry = await pruner.PruneAsync(TimeSpan.FromDays(90), dryRun: true, CancellationToken.None);
        Assert.Equal((oldEvents, oldLogs), (dry.Events, dry.LogLines));
        Assert.Equal(oldEvents, await CountAsync(env, "sluice.events", old.Id));

        var pruned = await pruner.PruneAsync(TimeSpan.FromDays(90), dryRun: false, CancellationToken.None);

        Assert.Equal((oldEvents, oldLogs), (pruned.Events, pruned.LogLines));
        Assert.Equal((0L, 0L), (await CountAsync(env, "sluice.events", old.Id), await CountAsync(env, "sluice.job_logs", old.Id)));
        Assert.Equal((recentEvents, recentLogs), (await CountAsync(env, "sluice.events", recent.Id), await CountAsync(env, "sluice.job_logs", recent.Id)));
        Assert.Equal(2L, await env.ScalarAsync<long>("select count(*) from sluice.jobs"));
        Assert.Equal(stages, await env.ScalarAsync<long>("select count(*) from sluice.job_stages"));
        Assert.Equal(2L, await env.ScalarAsync<long>("select count(*) from sluice.load_ledger"));
        var view = (await env.ControlPlane.Jobs.GetViewAsync(old.Id, CancellationToken.None))!;
        Assert.Equal(("succeeded", 20L), (view.Status, view.Counts.Loaded));
        var again = await pruner.PruneAsync(TimeSpan.FromDays(90), dryRun: false, CancellationToken.None);
        Assert.Equal((0L, 0L), (again.Events, again.LogLines));
    }

    [Fact]
    public async Task The_cli_prunes_history_with_json_output()
    {
        var (env, old, _) = await TwoJobsAsync();
        await using var _ = env;
        await env.ExecuteAsync($"update sluice.events set created_at = now() - interval '2 days' where job_id = '{old.Id}'");
        var expected = await CountAsync(env, "sluice.events", old.Id);

        var (code, stdout, _) = await CliProcess.RunAsync(env.CliEnvironment(), "history", "prune", "--older-than", "1d", "--json");

        Assert.Equal(0, code);
        Assert.Equal(expected, JsonDocument.Parse(stdout).RootElement.GetProperty("events").GetInt64());
        Assert.Equal(0L, await CountAsync(env, "sluice.events", old.Id));
        Assert.Equal(1L, await env.ScalarAsync<long>("select count(*) from sluice.audit_log where action = 'history.prune'"));
    }
}
