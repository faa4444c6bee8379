using Sluice.Control;
using Sluice.Samples;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Workflows;

/// <summary>
/// A small file's download, transform and load run under one lease and are recorded in one commit (the express
/// lane); what the control plane records about the job is the same as when every stage runs on its own.
/// </summary>
public sealed class ExpressLaneTests
{
    [Theory]
    [InlineData(64 * 1024, 1)]   // the lane (download → publish): one task
    [InlineData(0, 4)]           // express lane off: one task per stage
    public async Task A_small_files_stages_are_recorded_the_same_whether_they_ran_in_the_express_lane_or_one_by_one(long expressBytes, long tasks)
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WithSettings(s => s with { ExpressBytes = expressBytes });
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var file = Path.Combine(env.Home, "p.csv");
        var summary = PaymentsCsv.Write(file, 200, seed: 5);
        Assert.True(new FileInfo(file).Length <= 64 * 1024);
        env.StartHost(workers: 1);
        env.Drop("inbox", "payments/small.csv", File.ReadAllText(file));

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("succeeded", job.Status);
        Assert.Equal(tasks, await env.ScalarAsync<long>("select count(*) from sluice.tasks where job_id = $1", job.Id));
        var stages = job.Stages.Where(s => s.Name != "receive").ToList();
        Assert.Equal(["download", "transform", "load", "publish"], stages.Select(s => s.Name));
        Assert.All(stages, s => Assert.Equal(("succeeded", 1), (s.Status, s.Try)));
        Assert.Single(stages.Select(s => s.WorkerId).Distinct());
        // Each stage is recorded with the time it ran: it ends after it starts, and starts after the one before ended.
        for (var i = 0; i < stages.Count; i++)
        {
            Assert.True(stages[i].FinishedAt >= stages[i].StartedAt, $"{stages[i].Name} ends before it starts");
            if (i > 0) Assert.True(stages[i].StartedAt >= stages[i - 1].FinishedAt, $"{stages[i].Name} starts before {stages[i - 1].Name} ended");
        }
        Assert.Equal(200, stages[2].Outputs!["rows"]!.GetValue<long>());
        Assert.Equal((200L, 200L, 0L, 0L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected, job.Counts.Filtered));
        Assert.Equal(200L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(PaymentsCsv.FormatCents(summary.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        // Every stage has its started and finished events, in the order the stages ran.
        Assert.Equal("job.created,stage.succeeded," + string.Join(",", Enumerable.Repeat("stage.started,stage.succeeded", 4)) + ",job.succeeded",
            await env.ScalarAsync<string>("select string_agg(type, ',' order by id) from sluice.events where job_id = $1", job.Id));
        Assert.Equal("receive,download,download,transform,transform,load,load,publish,publish", await env.ScalarAsync<string>(
            "select string_agg(payload->>'stage', ',' order by id) from sluice.events where job_id = $1 and type like 'stage.%'", job.Id));
    }

    [Fact]
    public async Task A_stage_failing_in_the_express_lane_fails_on_a_task_of_its_own_after_the_stages_before_it_are_recorded()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml().Replace("mode: append }", "mode: append, create: false }"));
        env.StartHost(workers: 1);
        env.Drop("inbox", "payments/no-table.csv", PaymentsCsv.Header + "\n1,1,1,1.00,EUR,2026-01-01 00:00:00,x,booked\n");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("failed", job.Status);
        Assert.Equal("target.missing_table", job.Error!.Code);
        Assert.Equal(["receive", "download", "transform", "load", "publish"], job.Stages.Select(s => s.Name));
        Assert.Equal(["succeeded", "succeeded", "succeeded", "failed", "succeeded"], job.Stages.Select(s => s.Status));
        var (transform, load) = (job.Stages[2], job.Stages[3]);
        Assert.Equal("target.missing_table", load.Error!.Code);
        // The failed stage's row covers the time it ran, after the stage before it.
        Assert.True(load.StartedAt >= transform.FinishedAt);
        Assert.True(load.FinishedAt >= load.StartedAt);
        Assert.Equal("download,load,publish", await env.ScalarAsync<string>(
            "select string_agg(stage, ',' order by id) from sluice.tasks where job_id = $1", job.Id));
        Assert.Equal(1L, job.Counts.Read);
    }

    [Fact]
    public async Task Publish_failing_inside_the_lanes_open_commit_leaves_the_lane_recorded_and_the_rows_loaded_once()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        // The output bucket is a regular file: publish cannot make its folders (a real failure, not a mock, and not
        // one a retry mends).
        var processed = Path.Combine(env.Settings.BucketsRoot, "processed");
        Directory.CreateDirectory(env.Settings.BucketsRoot);
        File.WriteAllText(processed, "in the way");
        env.StartHost(workers: 1);
        var (_, summary) = env.DropPayments("payments/out-blocked.csv", 50, seed: 8);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        // The lane's commit was rolled back with publish's failure; the lane was recorded on its own, and publish
        // failed on a task of its own.
        Assert.Equal("failed", job.Status);
        Assert.Equal("io.not_found", job.Error!.Code);
        Assert.Equal(["receive", "download", "transform", "load", "publish"], job.Stages.Select(s => s.Name));
        Assert.Equal(["succeeded", "succeeded", "succeeded", "succeeded", "failed"], job.Stages.Select(s => s.Status));
        Assert.Equal(1, job.Stages[4].Try);
        Assert.Equal("download,publish", await env.ScalarAsync<string>(
            "select string_agg(stage, ',' order by id) from sluice.tasks where job_id = $1", job.Id));
        Assert.Equal(50L, await env.ScalarAsync<long>("select count(*) from public.payments"));

        // Once the way is clear, replaying publish ends the job without loading a row twice.
        File.Delete(processed);
        await new JobReplay(env.ControlPlane).ReplayAsync(job.Id, "publish", "output bucket fixed", "test", CancellationToken.None);
        var replayed = await env.WaitForJobAsync(job.Id);

        Assert.Equal("succeeded", replayed.Status);
        Assert.Equal(50L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(PaymentsCsv.FormatCents(summary.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        Assert.Equal((50L, 50L), (replayed.Counts.Read, replayed.Counts.Loaded));
        Assert.Single(Directory.EnumerateFiles(processed, "report.json", SearchOption.AllDirectories));
    }
}
