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
    /// <summary>Three jobs loaded one after the other (their events and log lines in that order of ids): old, recent,
    /// old again, so what stays lies between what goes.</summary>
    private static async Task<(TestEnvironment Env, JobView Old, JobView Recent, JobView Older)> ThreeJobsAsync(
        Func<Sluice.Configuration.SluiceSettings, Sluice.Configuration.SluiceSettings>? settings = null)
    {
        var env = await TestEnvironment.CreateAsync();
        if (settings is not null) env.WithSettings(settings);
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var host = env.StartHost();
        var keys = new[] { "payments/old.csv", "payments/recent.csv", "payments/older.csv" };
        for (var i = 0; i < keys.Length; i++)
        {
            var file = Path.Combine(env.Home, $"p{i}.csv");
            PaymentsCsv.Write(file, 20, seed: i + 1);
            env.Drop("inbox", keys[i], File.ReadAllText(file));
            await env.WaitForJobsAsync(i + 1);
        }
        var jobs = await env.WaitForJobsAsync(3);
        await host.FlushLogsAsync(TimeSpan.FromSeconds(30));
        return (env, jobs.Single(j => j.Source.Key == keys[0]), jobs.Single(j => j.Source.Key == keys[1]), jobs.Single(j => j.Source.Key == keys[2]));
    }

    private static Task<long> CountAsync(TestEnvironment env, string table, Guid job) =>
        env.ScalarAsync<long>($"select count(*) from {table} where job_id = $1", job);

    private static async Task AgeAsync(TestEnvironment env, Guid job, bool ended = true)
    {
        if (ended) await env.ExecuteAsync($"update sluice.jobs set finished_at = now() - interval '100 days' where id = '{job}'");
        await env.ExecuteAsync($"update sluice.events set created_at = now() - interval '100 days' where job_id = '{job}'");
        await env.ExecuteAsync($"update sluice.job_logs set at = now() - interval '100 days' where job_id = '{job}'");
    }

    [Fact]
    public async Task Prune_removes_old_events_and_the_old_log_lines_of_jobs_that_ended_long_ago_and_keeps_the_jobs()
    {
        var (env, old, recent, older) = await ThreeJobsAsync();
        await using var _ = env;
        await AgeAsync(env, old.Id);
        await AgeAsync(env, older.Id);
        // The job between them has old events too, which go; its log lines stay, old as they are, because the job did
        // not end that long ago (replayed since, say).
        await AgeAsync(env, recent.Id, ended: false);
        var (oldEvents, oldLogs) = (await CountAsync(env, "sluice.events", old.Id), await CountAsync(env, "sluice.job_logs", old.Id));
        var (olderEvents, olderLogs) = (await CountAsync(env, "sluice.events", older.Id), await CountAsync(env, "sluice.job_logs", older.Id));
        var (recentEvents, recentLogs) = (await CountAsync(env, "sluice.events", recent.Id), await CountAsync(env, "sluice.job_logs", recent.Id));
        Assert.True(oldEvents > 3 && oldLogs > 0 && recentLogs > 3, $"{oldEvents} {oldLogs} {recentLogs}");
        var stages = await env.ScalarAsync<long>("select count(*) from sluice.job_stages");
        var pruner = new HistoryPruner(env.ControlPlane.DataSource, batchSize: 3); // several batches, some with nothing to remove
        var (events, logs) = (oldEvents + olderEvents + recentEvents, oldLogs + olderLogs);

        var dry = await pruner.PruneAsync(TimeSpan.FromDays(90), dryRun: true, CancellationToken.None);
        Assert.Equal((events, logs), (dry.Events, dry.LogLines));
        Assert.Equal(oldEvents, await CountAsync(env, "sluice.events", old.Id));

        var pruned = await pruner.PruneAsync(TimeSpan.FromDays(90), dryRun: false, CancellationToken.None);

        Assert.Equal((events, logs), (pruned.Events, pruned.LogLines));
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from sluice.events"));
        Assert.Equal(recentLogs, await env.ScalarAsync<long>("select count(*) from sluice.job_logs"));
        Assert.Equal(recentLogs, await CountAsync(env, "sluice.job_logs", recent.Id));
        Assert.Equal(3L, await env.ScalarAsync<long>("select count(*) from sluice.jobs"));
        Assert.Equal(stages, await env.ScalarAsync<long>("select count(*) from sluice.job_stages"));
        Assert.Equal(3L, await env.ScalarAsync<long>("select count(*) from sluice.load_ledger"));
        var view = (await env.ControlPlane.Jobs.GetViewAsync(old.Id, CancellationToken.None))!;
        Assert.Equal(("succeeded", 20L), (view.Status, view.Counts.Loaded));
        var again = await pruner.PruneAsync(TimeSpan.FromDays(90), dryRun: false, CancellationToken.None);
        Assert.Equal((0L, 0L), (again.Events, again.LogLines));
    }

    [Fact]
    public async Task Serve_with_a_history_retention_period_prunes_what_is_older()
    {
        var (env, old, recent, _) = await ThreeJobsAsync(s => s with { HistoryRetention = TimeSpan.FromDays(30) });
        await using var __ = env;
        await AgeAsync(env, old.Id);
        var recentEvents = await CountAsync(env, "sluice.events", recent.Id);

        env.StartHost(workers: 0, watch: false).StartRetention();

        await TestEnvironment.UntilAsync(async () => await CountAsync(env, "sluice.events", old.Id) == 0, TimeSpan.FromSeconds(60), "the old job's events to go");
        Assert.Equal(0L, await CountAsync(env, "sluice.job_logs", old.Id));
        Assert.Equal(recentEvents, await CountAsync(env, "sluice.events", recent.Id));
    }

    [Fact]
    public async Task The_cli_prunes_history_with_json_output()
    {
        var (env, old, _, _) = await ThreeJobsAsync();
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
