using Sluice.Control;
using Sluice.Observability;
using Sluice.Samples;
using Sluice.Storage;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Workflows;
using Sluice.Trigger;

namespace Sluice.Tests.Trigger;

/// <summary>The receive stage reads an arrived file once, hashing it while copying it into the job's workspace; the
/// download stage of that job, in the same process, takes the copy.</summary>
public sealed class ReceivedCopyTests
{
    private static JobIntake Intake(TestEnvironment env) =>
        new(env.ControlPlane, env.Catalog(), env.Settings, new JobLog(null, LogLevel.Error, false, TextWriter.Null));

    [Fact]
    public async Task A_file_removed_from_the_bucket_after_it_arrived_is_loaded_from_the_copy_made_on_arrival()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var (path, summary) = env.DropPayments("payments/gone.csv", 2_000, seed: 5);
        var size = new FileInfo(path).Length;
        var sha = await JobWorkspace.Sha256Async(path, CancellationToken.None);

        var outcome = await Intake(env).ReceiveFileAsync("inbox", "payments/gone.csv", path, size, null, "test", CancellationToken.None);
        File.Delete(path);
        env.StartHost(watch: false);
        var job = await env.WaitForJobAsync(outcome.JobId!.Value);

        Assert.True(outcome.Created);
        Assert.Equal("succeeded", job.Status);
        var download = job.Stages.Single(s => s.Name == "download");
        Assert.True(download.Outputs!["copied_on_arrival"]!.GetValue<bool>());
        Assert.Equal(sha, download.Outputs["file"]!["sha256"]!.GetValue<string>());
        Assert.Equal(size, download.Outputs["file"]!["size"]!.GetValue<long>());
        Assert.Equal(2_000L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(PaymentsCsv.FormatCents(summary.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
    }

    [Fact]
    public async Task A_large_file_is_copied_and_planned_in_chunks_on_arrival_and_loads_every_row_once()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml("chunk: { rows: 5000 }"));
        var (path, summary) = env.DropPayments("payments/large.csv", 20_000, seed: 9);
        var size = new FileInfo(path).Length;
        Assert.True(size > JobWorkspace.SmallFileBytes);

        var outcome = await Intake(env).ReceiveFileAsync("inbox", "payments/large.csv", path, size, null, "test", CancellationToken.None);
        env.StartHost(watch: false);
        var job = await env.WaitForJobAsync(outcome.JobId!.Value);

        await AssertCopiedOnArrivalAndLoadedInChunksAsync(env, job);
        Assert.Equal(20_000L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(PaymentsCsv.FormatCents(summary.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
    }

    /// <summary>The job of a 20,000-row file with <c>chunk: { rows: 5000 }</c> succeeded from the copy made on arrival,
    /// in the chunks planned while it was copied, each with its own ledger row.</summary>
    internal static async Task AssertCopiedOnArrivalAndLoadedInChunksAsync(TestEnvironment env, JobView job)
    {
        Assert.Equal("succeeded", job.Status);
        var download = job.Stages.Single(s => s.Name == "download");
        Assert.True(download.Outputs!["copied_on_arrival"]!.GetValue<bool>());
        // At least 20,000 / 5,000 chunks (the planner evens them out), each with its own ledger row.
        var chunks = download.Outputs["chunks"]!["count"]!.GetValue<int>();
        Assert.InRange(chunks, 4, 8);
        Assert.Equal(chunks, job.Chunks);
        Assert.Equal($"{chunks} 20000", await env.ScalarAsync<string>(
            "select count(*) || ' ' || sum(rows) from sluice.load_ledger where job_id = $1", job.Id));
    }

    [Fact]
    public async Task Without_the_copy_in_memory_the_download_stage_reads_the_object_again_and_finds_it_changed()
    {
        // As in a worker of another process (or after a restart): the copy on disk is not trusted, the object is read again.
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var path = env.Drop("inbox", "payments/changed.csv", PaymentsCsv.Header + "\n1,1,1,1.00,EUR,2026-01-01 00:00:00,x,booked\n");

        var outcome = await Intake(env).ReceiveFileAsync("inbox", "payments/changed.csv", path, new FileInfo(path).Length, null, "test", CancellationToken.None);
        Assert.NotNull(ReceivedCopies.Take(outcome.JobId!.Value));
        await File.WriteAllTextAsync(path, PaymentsCsv.Header + "\n2,1,1,9.00,EUR,2026-01-01 00:00:00,x,booked\n");
        env.StartHost(watch: false);
        var job = await env.WaitForJobAsync(outcome.JobId.Value);

        Assert.Equal("failed", job.Status);
        Assert.Equal("source.changed", job.Error!.Code);
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from pg_tables where tablename = 'payments'"));
    }

    [Fact]
    public async Task Concurrent_arrivals_of_the_same_content_make_one_job_and_keep_one_copy()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var (path, _) = env.DropPayments("payments/dup.csv", 50, seed: 3);
        var intake = Intake(env);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() =>
            intake.ReceiveFileAsync("inbox", "payments/dup.csv", path, new FileInfo(path).Length, null, "test", CancellationToken.None))));

        var created = Assert.Single(outcomes, o => o.Created);
        Assert.Single(outcomes.Select(o => o.JobId).Distinct());
        Assert.Equal(1L, await env.ScalarAsync<long>("select count(*) from sluice.jobs"));
        // The copies of the arrivals that made no job are gone; the job's own is in its workspace.
        Assert.Equal([created.JobId!.Value.ToString()], Directory.GetDirectories(env.Settings.WorkspaceRoot).Select(Path.GetFileName));
        var copy = ReceivedCopies.Take(created.JobId!.Value);
        Assert.NotNull(copy);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(copy.Path));
    }

    [Fact]
    public async Task The_copy_is_there_for_a_worker_that_claims_the_download_the_moment_the_job_is_committed()
    {
        // The job's commit wakes the workers: one may claim its download before the receive stage has returned.
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var (path, _) = env.DropPayments("payments/early.csv", 20_000, seed: 4);
        var intake = Intake(env);
        ReceivedCopies.Copy? seenAtCommit = null;
        intake.JobCreated += id => seenAtCommit = ReceivedCopies.Take(id);

        var outcome = await intake.ReceiveFileAsync("inbox", "payments/early.csv", path, new FileInfo(path).Length, null, "test", CancellationToken.None);

        Assert.True(outcome.Created);
        Assert.NotNull(seenAtCommit);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(seenAtCommit.Path));
    }

    [Fact]
    public async Task A_file_no_pipeline_takes_is_not_read_and_leaves_no_copy()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var path = env.Drop("inbox", "elsewhere/x.txt", "not for any pipeline");

        var outcome = await Intake(env).ReceiveFileAsync("inbox", "elsewhere/x.txt", path, new FileInfo(path).Length, null, "test", CancellationToken.None);

        Assert.Null(outcome.JobId);
        Assert.NotNull(outcome.Problem);
        Assert.False(Directory.Exists(env.Settings.WorkspaceRoot) && Directory.EnumerateFileSystemEntries(env.Settings.WorkspaceRoot).Any());
    }
}
