using System.Text.Json;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Samples;
using Sluice.Storage;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Workflows;

/// <summary>Workspace retention: <c>sluice workspace prune</c> and serve's <c>SLUICE_WORKSPACE_RETENTION</c>, on real
/// folders and a real control plane (jobs are aged by moving their end back in the database).</summary>
public sealed class WorkspaceRetentionTests
{
    private static async Task<TestEnvironment> StartedAsync()
    {
        var env = await TestEnvironment.CreateAsync();
        try
        {
            env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
            env.StartHost();
            return env;
        }
        catch
        {
            await env.DisposeAsync();
            throw;
        }
    }

    private static async Task<JobView> LoadAsync(TestEnvironment env, string key, int rows, int seed)
    {
        var file = Path.Combine(env.Home, $"p{seed}.csv");
        PaymentsCsv.Write(file, rows, seed);
        // Counted before the drop: counted after, a job recorded at once would be waited for twice (and never come).
        var before = await env.ScalarAsync<int>("select count(*)::int from sluice.jobs");
        env.Drop("inbox", key, File.ReadAllText(file));
        var jobs = await env.WaitForJobsAsync(before + 1);
        return jobs.Single(j => j.Source.Key == key);
    }

    /// <summary>Moves the job's end, and its tasks' last changes, <paramref name="interval"/> into the past.</summary>
    private static async Task AgeAsync(TestEnvironment env, Guid job, string interval)
    {
        await env.ExecuteAsync($"update sluice.jobs set finished_at = now() - interval '{interval}' where id = '{job}'");
        await env.ExecuteAsync($"update sluice.tasks set updated_at = now() - interval '{interval}' where job_id = '{job}'");
    }

    private static string JobFolder(TestEnvironment env, Guid job) => Path.Combine(env.Settings.WorkspaceRoot, job.ToString());

    private static WorkspacePruner Pruner(TestEnvironment env, int batchSize = 200) =>
        new(env.ControlPlane.DataSource, env.Settings.WorkspaceRoot, env.Settings.Lease, batchSize);

    private static Task<WorkspacePruner.Result> PruneAsync(TestEnvironment env, string olderThan, bool failed = false, bool dryRun = false) =>
        Pruner(env).PruneAsync(new WorkspacePruner.Options(Sluice.Configuration.Durations.Parse(olderThan)!.Value, failed, DryRun: dryRun), CancellationToken.None);

    [Fact]
    public async Task Prune_removes_old_succeeded_workspaces_only_keeps_the_published_output_and_records_when()
    {
        await using var env = await StartedAsync();
        var old = await LoadAsync(env, "payments/old.csv", 200, seed: 1);
        var recent = await LoadAsync(env, "payments/recent.csv", 100, seed: 2);
        env.Drop("inbox", "payments/bad.csv", PaymentsCsv.Header + "\n2,1,1,abc,EUR,2026-01-01 00:00:00,bad amount,booked\n");
        var failed = (await env.WaitForJobsAsync(3)).Single(j => j.Source.Key == "payments/bad.csv");
        Assert.Equal(("succeeded", "succeeded", "failed"), (old.Status, recent.Status, failed.Status));
        await AgeAsync(env, old.Id, "2 days");
        await AgeAsync(env, failed.Id, "2 days");
        var filesBefore = Directory.GetFiles(JobFolder(env, old.Id), "*", SearchOption.AllDirectories);
        var bytesBefore = filesBefore.Sum(f => new FileInfo(f).Length);

        var dry = await PruneAsync(env, "1d", dryRun: true);
        Assert.Equal((true, 1, (long)filesBefore.Length), (dry.DryRun, dry.Jobs, dry.Files));
        Assert.True(Directory.Exists(JobFolder(env, old.Id)), "a dry run removes nothing");

        var pruned = await PruneAsync(env, "1d");

        Assert.Equal((1, (long)filesBefore.Length, bytesBefore), (pruned.Jobs, pruned.Files, pruned.Bytes));
        Assert.Equal(1, pruned.FailedKept);
        Assert.Empty(pruned.LeftAlone);
        Assert.Empty(pruned.Failed);
        Assert.False(Directory.Exists(JobFolder(env, old.Id)));
        Assert.True(File.Exists(Path.Combine(recent.Workspace, "transform", "data.pgcopy")), "a job that ended a moment ago keeps its files");
        Assert.True(File.Exists(Path.Combine(failed.Workspace, "transform", "rejects.csv")), "a failed job keeps its files unless asked");
        // What publish put in the output bucket (hard links to the workspace's files) outlives the workspace.
        var published = Path.Combine(env.Settings.BucketsRoot, "processed", "payments", old.Id.ToString());
        Assert.True(new FileInfo(Path.Combine(published, "artifacts", "data.pgcopy")).Length > 0);
        Assert.True(File.Exists(Path.Combine(published, "report.json")));
        var view = (await env.ControlPlane.Jobs.GetViewAsync(old.Id, CancellationToken.None))!;
        Assert.NotNull(view.WorkspacePrunedAt);
        Assert.Null((await env.ControlPlane.Jobs.GetViewAsync(recent.Id, CancellationToken.None))!.WorkspacePrunedAt);

        Assert.Equal(0, (await PruneAsync(env, "1d")).Jobs);
        var withFailed = await PruneAsync(env, "1d", failed: true);
        Assert.Equal((1, 0L), (withFailed.Jobs, withFailed.FailedKept));
        Assert.False(Directory.Exists(JobFolder(env, failed.Id)));
    }

    [Fact]
    public async Task A_pruned_job_replays_from_download_only_and_that_replay_brings_its_files_back()
    {
        await using var env = await StartedAsync();
        var job = await LoadAsync(env, "payments/replayed.csv", 300, seed: 3);
        var sum = await env.ScalarAsync<string>("select sum(amount)::text from public.payments");
        await AgeAsync(env, job.Id, "3 hours");
        Assert.Equal(1, (await PruneAsync(env, "1h")).Jobs);
        var replay = new JobReplay(env.ControlPlane);

        var refused = await Assert.ThrowsAsync<SluiceException>(() => replay.ReplayAsync(job.Id, "load", null, "test", CancellationToken.None));

        Assert.Equal("replay.workspace_pruned", refused.Code);
        Assert.Contains($"./sluice replay {job.Id} --from download", refused.Message);
        Assert.Equal(1, (await env.ControlPlane.Jobs.GetViewAsync(job.Id, CancellationToken.None))!.Attempt);

        Assert.Equal(2, await replay.ReplayAsync(job.Id, "download", "after a prune", "test", CancellationToken.None));
        var replayed = await env.WaitForJobAsync(job.Id);

        Assert.Equal("succeeded", replayed.Status);
        Assert.Null(replayed.WorkspacePrunedAt);
        Assert.True(File.Exists(Path.Combine(replayed.Workspace, "transform", "data.pgcopy")));
        Assert.Equal(300L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(sum, await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
    }

    [Fact]
    public async Task A_recorded_workspace_outside_the_root_or_a_job_with_work_queued_is_left_alone()
    {
        await using var env = await StartedAsync();
        var job = await LoadAsync(env, "payments/elsewhere.csv", 20, seed: 4);
        var decoy = Path.Combine(env.Home, "elsewhere", job.Id.ToString(), "01012026000000");
        Directory.CreateDirectory(decoy);
        await File.WriteAllTextAsync(Path.Combine(decoy, "keep.txt"), "not Sluice's to remove");
        await AgeAsync(env, job.Id, "2 days");

        foreach (var recorded in new[] { decoy, Path.Combine(env.Settings.WorkspaceRoot, job.Id.ToString(), "..", "..", "elsewhere", job.Id.ToString(), "x") })
        {
            await env.ExecuteAsync($"update sluice.jobs set workspace = '{recorded}' where id = '{job.Id}'");
            var result = await PruneAsync(env, "1d");
            var skipped = Assert.Single(result.LeftAlone);
            Assert.Equal((0, job.Id), (result.Jobs, skipped.JobId));
            Assert.Contains("not inside this workspace root", skipped.Reason);
        }
        Assert.True(File.Exists(Path.Combine(decoy, "keep.txt")));
        Assert.True(Directory.Exists(JobFolder(env, job.Id)));
        Assert.Null((await env.ControlPlane.Jobs.GetViewAsync(job.Id, CancellationToken.None))!.WorkspacePrunedAt);

        // Back to its own workspace, but with a task queued for later: not touched until that work has run.
        await env.ExecuteAsync($"update sluice.jobs set workspace = '{job.Workspace}' where id = '{job.Id}'");
        await env.ExecuteAsync("insert into sluice.tasks (job_id, attempt, stage, max_tries, backoff_ms, run_after) " +
                               $"values ('{job.Id}', 1, 'notify', 1, 100, now() + interval '1 day')");
        Assert.Equal(0, (await PruneAsync(env, "1d")).Jobs);
        Assert.True(File.Exists(Path.Combine(job.Workspace, "transform", "data.pgcopy")));

        // Nor while a task of it changed within a lease: a chunk cancelled by its job's failure runs on until its
        // worker's next renewal finds out.
        await env.ExecuteAsync($"update sluice.tasks set status = 'cancelled', updated_at = now() where job_id = '{job.Id}' and stage = 'notify'");
        Assert.Equal(0, (await PruneAsync(env, "1d")).Jobs);
        await env.ExecuteAsync($"update sluice.tasks set updated_at = now() - interval '1 hour' where job_id = '{job.Id}'");
        Assert.Equal(1, (await PruneAsync(env, "1d")).Jobs);
    }

    /// <summary>Ended jobs recorded directly (no load needed to test the walk): <paramref name="count"/> succeeded jobs
    /// that ended two days ago, each with a workspace folder holding one file of 10 bytes.</summary>
    private static async Task<List<Guid>> RecordEndedJobsAsync(TestEnvironment env, int count, bool withFolders = true)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var id = Guid.CreateVersion7();
            var workspace = Path.Combine(env.Settings.WorkspaceRoot, id.ToString(), "01012026000000");
            if (withFolders)
            {
                Directory.CreateDirectory(Path.Combine(workspace, "download"));
                await File.WriteAllTextAsync(Path.Combine(workspace, "download", "f.csv"), "0123456789");
            }
            await env.ExecuteAsync(
                "insert into sluice.jobs (id, pipeline, workflow, source_bucket, source_key, source_size, source_sha256, status, " +
                "pipeline_yaml, pipeline_file, workspace, finished_at) values " +
                $"('{id}', 'payments', 'load', 'inbox', 'payments/{id}.csv', 10, 'sha-{id}', 'succeeded', 'name: payments', 'p.yaml', " +
                $"'{workspace}', now() - interval '2 days' + {i} * interval '1 second')");
            ids.Add(id);
        }
        return ids;
    }

    [Fact]
    public async Task A_prune_walks_every_batch_and_a_folder_already_gone_is_only_marked()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var ids = await RecordEndedJobsAsync(env, 7);
        await RecordEndedJobsAsync(env, 1, withFolders: false);
        var options = new WorkspacePruner.Options(TimeSpan.FromDays(1));

        var dry = await Pruner(env, batchSize: 3).PruneAsync(options with { DryRun = true }, CancellationToken.None);
        Assert.Equal((8, 1, 7L, 70L), (dry.Jobs, dry.AlreadyGone, dry.Files, dry.Bytes));
        Assert.All(ids, id => Assert.True(Directory.Exists(JobFolder(env, id))));

        var pruned = await Pruner(env, batchSize: 3).PruneAsync(options, CancellationToken.None);

        Assert.Equal((8, 1, 7L, 70L), (pruned.Jobs, pruned.AlreadyGone, pruned.Files, pruned.Bytes));
        Assert.All(ids, id => Assert.False(Directory.Exists(JobFolder(env, id))));
        Assert.Equal(8L, await env.ScalarAsync<long>("select count(*) from sluice.jobs where workspace_pruned_at is not null"));
        Assert.Equal(0, (await Pruner(env, batchSize: 3).PruneAsync(options, CancellationToken.None)).Jobs);
    }

    [Fact]
    public async Task A_workspace_folder_that_is_a_link_is_left_alone_and_a_missing_root_marks_nothing()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var id = (await RecordEndedJobsAsync(env, 1, withFolders: false))[0];
        var outside = Path.Combine(env.Home, "outside");
        Directory.CreateDirectory(Path.Combine(outside, "01012026000000"));
        await File.WriteAllTextAsync(Path.Combine(outside, "01012026000000", "keep.txt"), "not Sluice's");
        Directory.CreateDirectory(env.Settings.WorkspaceRoot);
        Directory.CreateSymbolicLink(JobFolder(env, id), outside);

        var result = await PruneAsync(env, "1d");

        var left = Assert.Single(result.LeftAlone);
        Assert.Contains("symbolic link", left.Reason);
        Assert.Equal(0, result.Jobs);
        Assert.True(File.Exists(Path.Combine(outside, "01012026000000", "keep.txt")));

        // Where the workspace root is not there (a shared mount absent), every folder would look gone: refused.
        var elsewhere = new WorkspacePruner(env.ControlPlane.DataSource, Path.Combine(env.Home, "not-mounted"), env.Settings.Lease);
        var e = await Assert.ThrowsAsync<SluiceException>(() => elsewhere.PruneAsync(new WorkspacePruner.Options(TimeSpan.Zero), CancellationToken.None));
        Assert.Equal("workspace.root_missing", e.Code);
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from sluice.jobs where workspace_pruned_at is not null"));
    }

    [Fact]
    public async Task The_replay_statement_itself_refuses_a_pruned_job_from_a_stage_that_reads_its_files()
    {
        // What stops a replay that passed its checks just before a prune marked the job: replay_job.sql's own condition.
        await using var env = await TestEnvironment.CreateAsync();
        var id = (await RecordEndedJobsAsync(env, 1, withFolders: false))[0];
        await env.ExecuteAsync($"update sluice.jobs set workspace_pruned_at = now() where id = '{id}'");

        async Task<object?> ReplayAsync(string from, bool reads, bool remakes)
        {
            await using var cmd = env.ControlPlane.DataSource.CreateCommand(Sluice.Control.SqlQueries.Get("replay_job"));
            foreach (var v in new object[] { id, from, "test", "test", "name: payments", 1, 100 })
                cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = v });
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = reads });
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = remakes });
            return await cmd.ExecuteScalarAsync();
        }

        Assert.Null(await ReplayAsync("load", reads: true, remakes: false));
        Assert.Equal(1, await env.ScalarAsync<int>($"select attempt from sluice.jobs where id = '{id}'"));
        Assert.Equal(2, await ReplayAsync("download", reads: false, remakes: true));
        Assert.Equal(0L, await env.ScalarAsync<long>($"select count(*) from sluice.jobs where id = '{id}' and workspace_pruned_at is not null"));
    }

    [Fact]
    public async Task Serve_with_a_retention_period_prunes_succeeded_jobs_older_than_it()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WithSettings(s => s with { WorkspaceRetention = TimeSpan.FromHours(1) });
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var host = env.StartHost();
        var old = await LoadAsync(env, "payments/aged.csv", 50, seed: 5);
        var young = await LoadAsync(env, "payments/young.csv", 50, seed: 6);
        await AgeAsync(env, old.Id, "2 hours");

        host.StartRetention();

        await TestEnvironment.UntilAsync(async () => (await env.ControlPlane.Jobs.GetViewAsync(old.Id, CancellationToken.None))!.WorkspacePrunedAt is not null,
            TimeSpan.FromSeconds(60), "the old job's workspace to be pruned");
        Assert.False(Directory.Exists(JobFolder(env, old.Id)));
        Assert.True(Directory.Exists(JobFolder(env, young.Id)));
    }

    [Theory]
    [InlineData("0s", 0)]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("12h", 43200)]
    [InlineData("7d", 604800)]
    public void A_period_is_a_whole_number_and_a_unit(string text, long seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Sluice.Configuration.Durations.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("7")]
    [InlineData("d")]
    [InlineData("-1d")]
    [InlineData("1.5h")]
    [InlineData("2w")]
    [InlineData("7 days")]
    public void Anything_else_is_not_a_period(string text) => Assert.Null(Sluice.Configuration.Durations.Parse(text));

    [Fact]
    public async Task The_cli_prunes_with_json_output_and_names_a_bad_period()
    {
        await using var env = await StartedAsync();
        var job = await LoadAsync(env, "payments/cli.csv", 30, seed: 7);
        var cli = env.CliEnvironment();

        var (badCode, _, badErr) = await CliProcess.RunAsync(cli, "workspace", "prune", "--older-than", "a week");
        Assert.Equal(1, badCode);
        Assert.Contains("--older-than 'a week' is not a period; give one such as 7d", badErr);
        Assert.DoesNotContain("   at ", badErr);

        await AgeAsync(env, job.Id, "2 hours");
        var (code, stdout, _) = await CliProcess.RunAsync(cli, "workspace", "prune", "--older-than", "1h", "--json");

        Assert.Equal(0, code);
        var result = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(1, result.GetProperty("jobs").GetInt32());
        Assert.True(result.GetProperty("files").GetInt64() > 0);
        Assert.False(Directory.Exists(JobFolder(env, job.Id)));
        Assert.Equal(1L, await env.ScalarAsync<long>("select count(*) from sluice.audit_log where action = 'workspace.prune'"));

        var env2 = new Dictionary<string, string>(cli) { ["SLUICE_WORKSPACE_RETENTION"] = "a week" };
        var (confCode, _, confErr) = await CliProcess.RunAsync(env2, "jobs");
        Assert.Equal(1, confCode);
        Assert.Contains("SLUICE_WORKSPACE_RETENTION='a week' is not a period", confErr);
    }
}
