using Sluice.Control;
using Sluice.Errors;
using Sluice.Samples;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Workflows;

public sealed class ReplayTests
{
    /// <summary>A test environment with the payments pipeline (<paramref name="pipelineYaml"/>, or the default one) and
    /// a running host.</summary>
    private static async Task<TestEnvironment> StartedAsync(string? pipelineYaml = null)
    {
        var env = await TestEnvironment.CreateAsync();
        try
        {
            env.WritePipeline("payments.yaml", pipelineYaml ?? PaymentsPipeline.Yaml());
            env.StartHost();
            return env;
        }
        catch
        {
            await env.DisposeAsync();
            throw;
        }
    }

    private static async Task<JobView> LoadOneAsync(TestEnvironment env, int rows = 500)
    {
        var file = Path.Combine(env.Home, "p.csv");
        PaymentsCsv.Write(file, rows, seed: 5);
        env.Drop("inbox", "payments/replay.csv", File.ReadAllText(file));
        return Assert.Single(await env.WaitForJobsAsync(1));
    }

    [Fact]
    public async Task A_replay_from_download_after_the_object_changed_keeps_the_jobs_own_copy_so_a_replay_from_transform_still_runs()
    {
        await using var env = await StartedAsync();
        var job = await LoadOneAsync(env, rows: 50);
        var copy = Directory.GetFiles(Path.Combine(job.Workspace, "download")).Single();
        var original = await File.ReadAllBytesAsync(copy);
        await File.WriteAllTextAsync(Path.Combine(env.Settings.BucketsRoot, "inbox", "payments", "replay.csv"), PaymentsCsv.Header + "\n");
        var replay = new JobReplay(env.ControlPlane);

        await replay.ReplayAsync(job.Id, "download", "fetch again", "test", CancellationToken.None);
        var failed = await env.WaitForJobAsync(job.Id);

        Assert.Equal(("failed", "source.changed"), (failed.Status, failed.Error?.Code));
        Assert.Contains($"replay from transform (./sluice replay {job.Id} --from transform)", failed.Error!.Message);
        Assert.Equal(original, await File.ReadAllBytesAsync(copy));
        Assert.Empty(Directory.GetFiles(Path.Combine(job.Workspace, "download"), ".*"));
        await replay.ReplayAsync(job.Id, "transform", "the copy we had", "test", CancellationToken.None);
        Assert.Equal("succeeded", (await env.WaitForJobAsync(job.Id)).Status);
        Assert.Equal(50L, await env.ScalarAsync<long>("select count(*) from public.payments where _sluice_job_id = $1", job.Id));
    }

    [Fact]
    public async Task Replaying_from_load_twice_leaves_every_row_exactly_once()
    {
        await using var env = await StartedAsync();
        var job = await LoadOneAsync(env);
        var sum = await env.ScalarAsync<string>("select sum(amount)::text from public.payments");
        var replay = new JobReplay(env.ControlPlane);

        Assert.Equal(2, await replay.ReplayAsync(job.Id, "load", "first replay", "test", CancellationToken.None));
        var second = await env.WaitForJobAsync(job.Id);
        Assert.Equal(3, await replay.ReplayAsync(job.Id, "load", "second replay", "test", CancellationToken.None));
        var third = await env.WaitForJobAsync(job.Id);

        Assert.Equal(("succeeded", "succeeded"), (second.Status, third.Status));
        Assert.Equal(500L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(sum, await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        Assert.Equal(3, third.Attempt);
        Assert.Equal(["receive", "load", "load"], third.Attempts.Select(a => a.FromStage));
        Assert.Equal("second replay", third.Attempts[2].Reason);
        Assert.Equal(3, await env.ScalarAsync<int>("select attempt from sluice.load_ledger where job_id = $1", job.Id));
        Assert.Equal(500L, third.Counts.Loaded);
        Assert.True(third.Counts.Reconciled);
    }

    [Fact]
    public async Task A_load_whose_copy_stores_other_than_the_artifacts_row_count_commits_nothing()
    {
        // The count is read with the ledger row, in the round trip before the commit: a difference rolls both back.
        await using var env = await StartedAsync();
        var job = await LoadOneAsync(env);
        // The artifact is left as it is; its manifest now says one row fewer than it holds.
        var manifest = Path.Combine(job.Workspace, "transform", Sluice.Stages.Transform.LoadManifest.FileName);
        var said = Sluice.Stages.Transform.LoadManifest.Read(manifest);
        await File.WriteAllTextAsync(manifest, (said with { Rows = said.Rows - 1 }).ToJson());

        await new JobReplay(env.ControlPlane).ReplayAsync(job.Id, "load", "count check", "test", CancellationToken.None);
        var replayed = await env.WaitForJobAsync(job.Id);

        Assert.Equal("failed", replayed.Status);
        Assert.Equal("reconcile.load_mismatch", replayed.Error!.Code);
        Assert.Contains("stored 500 rows but the artifact holds 499", replayed.Error.Message);
        // The first attempt's rows and ledger row stand: the replay's delete and COPY were rolled back with it.
        Assert.Equal(500L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal("1 500", await env.ScalarAsync<string>("select attempt || ' ' || rows from sluice.load_ledger where job_id = $1", job.Id));
    }

    [Fact]
    public async Task Replaying_from_transform_after_a_schema_change_loads_the_new_shape()
    {
        await using var env = await StartedAsync(PaymentsPipeline.Yaml(table: "public.p1"));
        var job = await LoadOneAsync(env, rows: 50);
        Assert.Equal("text", await env.ScalarAsync<string>("select data_type from information_schema.columns where table_name = 'p1' and column_name = 'status'"));

        // The corrected pipeline writes to a new table where status is varchar(10).
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(table: "public.p2", schema: PaymentsCsv.PipelineSchema.Replace("status: text", "status: varchar(10)")));
        await new JobReplay(env.ControlPlane).ReplayAsync(job.Id, "transform", "schema fix", "test", CancellationToken.None);
        var replayed = await env.WaitForJobAsync(job.Id);

        Assert.Equal("succeeded", replayed.Status);
        Assert.Equal("character varying", await env.ScalarAsync<string>("select data_type from information_schema.columns where table_name = 'p2' and column_name = 'status'"));
        Assert.Equal(50L, await env.ScalarAsync<long>("select count(*) from public.p2"));
    }

    [Fact]
    public async Task Replay_refuses_when_an_earlier_output_changed_and_names_the_stage_to_rerun()
    {
        await using var env = await StartedAsync();
        var job = await LoadOneAsync(env, rows: 20);
        await File.AppendAllTextAsync(Path.Combine(job.Workspace, "transform", "data.pgcopy"), "tampered");

        var e = await Assert.ThrowsAsync<SluiceException>(() => new JobReplay(env.ControlPlane).ReplayAsync(job.Id, "load", null, "test", CancellationToken.None));

        Assert.Equal("replay.outputs", e.Code);
        Assert.Contains("changed since stage transform wrote it", e.Message);
        Assert.Contains("--from transform", e.Message);
        Assert.Equal(1, (await env.ControlPlane.Jobs.GetViewAsync(job.Id, CancellationToken.None))!.Attempt);
    }
}
