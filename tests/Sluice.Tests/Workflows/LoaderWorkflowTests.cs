using Sluice.Samples;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Workflows;

public sealed class LoaderWorkflowTests
{
    [Fact]
    public async Task A_dropped_csv_is_loaded_with_numeric_sum_exact_to_the_cent()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        env.StartHost();
        var (_, summary) = env.DropPayments("payments/p.csv", 5_000, seed: 7);

        var jobs = await env.WaitForJobsAsync(1);

        var job = Assert.Single(jobs);
        Assert.Equal("succeeded", job.Status);
        Assert.Equal(5_000, job.Counts.Read);
        Assert.Equal(5_000, job.Counts.Loaded);
        Assert.Equal(0, job.Counts.Rejected);
        Assert.Equal(5_000L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(PaymentsCsv.FormatCents(summary.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        Assert.Equal("numeric", await env.ScalarAsync<string>(
            "select data_type from information_schema.columns where table_name = 'payments' and column_name = 'amount'"));
    }

    [Fact]
    public async Task A_job_records_every_stage_in_order_with_reconciled_counts_and_a_ledger_row()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        env.StartHost();
        env.DropPayments("payments/stages.csv", 300, seed: 1);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal(["receive", "download", "transform", "load", "publish"], job.Stages.Select(s => s.Name));
        Assert.All(job.Stages, s => Assert.Equal("succeeded", s.Status));
        Assert.All(job.Stages, s => Assert.NotNull(s.FinishedAt));
        Assert.True(job.Counts.Reconciled);
        Assert.Equal(1, job.Attempt);
        Assert.Single(job.Attempts);
        Assert.Equal(300L, await env.ScalarAsync<long>("select rows from sluice.load_ledger where job_id = $1", job.Id));
        var published = Path.Combine(env.Settings.BucketsRoot, "processed", "payments", job.Id.ToString());
        Assert.True(File.Exists(Path.Combine(published, "report.json")));
        Assert.True(File.Exists(Path.Combine(published, "source", "stages.csv")));
        Assert.True(File.Exists(Path.Combine(published, "artifacts", "create.sql")));
        var events = await env.ScalarAsync<string>("select string_agg(type, ',' order by id) from sluice.events where job_id = $1", job.Id);
        Assert.StartsWith("job.created,stage.succeeded,stage.started,stage.succeeded", events);
        Assert.Contains("job.succeeded", events);
        Assert.Matches(@"/\d{14}$", job.Workspace);
    }

    [Fact]
    public async Task The_same_content_arriving_again_under_the_same_key_makes_no_second_job()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var catalog = env.Catalog();
        var intake = new Sluice.Trigger.JobIntake(env.ControlPlane, catalog, env.Settings, new Sluice.Observability.JobLog(null, Sluice.Observability.LogLevel.Error, false, TextWriter.Null));
        var (path, _) = env.DropPayments("payments/dup.csv", 50, seed: 3);
        var sha = await Sluice.Storage.JobWorkspace.Sha256Async(path, CancellationToken.None);
        var arrival = new Sluice.Trigger.Arrival("inbox", "payments/dup.csv", path, new FileInfo(path).Length, sha);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => intake.ReceiveAsync(arrival, "test", CancellationToken.None))));

        Assert.Single(outcomes, o => o.Created);
        Assert.Single(outcomes.Select(o => o.JobId).Distinct());
        Assert.Equal(1L, await env.ScalarAsync<long>("select count(*) from sluice.jobs"));
        Assert.Equal(1L, await env.ScalarAsync<long>("select count(*) from sluice.tasks"));
    }

    [Fact]
    public async Task Changed_content_under_the_same_key_is_a_new_job()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        env.StartHost();
        env.Drop("inbox", "payments/a.csv", PaymentsCsv.Header + "\n1,1,1,1.00,EUR,2026-01-01 00:00:00,x,booked\n");
        await env.WaitForJobsAsync(1);
        File.Delete(Path.Combine(env.Settings.BucketsRoot, "inbox", "payments", "a.csv"));
        env.Drop("inbox", "payments/a.csv", PaymentsCsv.Header + "\n2,1,1,2.00,EUR,2026-01-01 00:00:00,x,booked\n");

        var jobs = await env.WaitForJobsAsync(2);

        Assert.Equal(2, jobs.Count);
        Assert.All(jobs, j => Assert.Equal("succeeded", j.Status));
        Assert.Equal("3.00", await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
    }

    [Fact]
    public async Task Too_many_bad_rows_fail_the_job_with_a_reason_and_still_publish()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        env.StartHost();
        env.Drop("inbox", "payments/bad.csv", PaymentsCsv.Header + "\n" +
            "1,1,1,1.00,EUR,2026-01-01 00:00:00,ok,booked\n" +
            "2,1,1,abc,EUR,2026-01-01 00:00:00,bad amount,booked\n");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("failed", job.Status);
        Assert.Equal("rejects.threshold", job.Error!.Code);
        Assert.Contains("1 of 2 rows were rejected", job.Error.Message);
        Assert.Equal(["receive", "download", "transform", "publish"], job.Stages.Select(s => s.Name));
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from information_schema.tables where table_name = 'payments'"));
        var rejects = await File.ReadAllTextAsync(Path.Combine(job.Workspace, "transform", "rejects.csv"));
        Assert.Contains("3,amount,", rejects);
        // A failed job still publishes its rejects and its report, which says it failed.
        var published = Path.Combine(env.Settings.BucketsRoot, "processed", "payments", job.Id.ToString());
        Assert.Equal(rejects, await File.ReadAllTextAsync(Path.Combine(published, "rejects.csv")));
        Assert.Contains("\"status\": \"failed\"", await File.ReadAllTextAsync(Path.Combine(published, "report.json")));
        Assert.False(File.Exists(Path.Combine(published, "artifacts", "data.pgcopy")));
    }

    [Fact]
    public async Task Bad_rows_within_the_threshold_are_set_aside_and_the_rest_loaded()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml("rejects: { max_rows: 5 }"));
        env.StartHost();
        env.Drop("inbox", "payments/some-bad.csv", PaymentsCsv.Header + "\n" +
            "1,1,1,1.00,EUR,2026-01-01 00:00:00,ok,booked\n" +
            "2,1,1,12.345,EUR,2026-01-01 00:00:00,three decimals,booked\n" +
            "3,1,1,3.00,EUR,2026-02-30 00:00:00,bad date,booked\n" +
            "4,1,1,4.00,EUR,2026-01-01 00:00:00,ok,booked\n");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("succeeded", job.Status);
        Assert.Equal((4L, 2L, 2L), (job.Counts.Read!.Value, job.Counts.Loaded!.Value, job.Counts.Rejected!.Value));
        Assert.Equal("5.00", await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        var rejects = await File.ReadAllLinesAsync(Path.Combine(job.Workspace, "transform", "rejects.csv"));
        Assert.StartsWith("3,amount,", rejects[1]);
        Assert.StartsWith("4,booked_at,", rejects[2]);
    }
}
