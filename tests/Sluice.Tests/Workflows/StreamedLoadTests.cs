using Sluice.Samples;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Workflows;

/// <summary>
/// Large files appended whole load their rows while transform writes them, committed with their ledger row only once
/// the file is through and its rejects are within limits; the load stage records what transform loaded.
/// </summary>
public sealed class StreamedLoadTests
{
    private static async Task<(Sluice.Control.JobView Job, PaymentsCsv.Summary File)> LoadAsync(TestEnvironment env, int rows, Func<string[], string[]>? spoil = null)
    {
        var file = Path.Combine(env.Home, "p.csv");
        var summary = PaymentsCsv.Write(file, rows, seed: 17);
        var lines = File.ReadAllLines(file);
        if (spoil is not null) lines = spoil(lines);
        env.Drop("inbox", "payments/p.csv", string.Join("\n", lines) + "\n");
        return (Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(2))), summary);
    }

    /// <summary>A host streaming files of at least <paramref name="streamBytes"/>, on a database first given <paramref name="setupSql"/>.</summary>
    private static async Task<TestEnvironment> StartAsync(string pipelineExtra = "", long streamBytes = 1, string? setupSql = null)
    {
        var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(pipelineExtra));
        env.WithSettings(s => s with { StreamBytes = streamBytes });
        if (setupSql is not null) await env.ExecuteAsync(setupSql);
        env.StartHost();
        return env;
    }

    [Theory]
    [InlineData(1L, true)]                  // streams from 1 byte on
    [InlineData(0L, false)]                 // streaming turned off
    [InlineData(64L * 1024 * 1024, false)]  // the file is below the threshold
    public async Task A_large_file_loads_while_it_is_transformed_and_every_row_lands_once(long streamBytes, bool streams)
    {
        await using var env = await StartAsync(streamBytes: streamBytes);

        var (job, file) = await LoadAsync(env, 20_000);

        Assert.Equal("succeeded", job.Status);
        Assert.Equal((20_000L, 20_000L, 0L), (job.Counts.Read!.Value, job.Counts.Loaded!.Value, job.Counts.Rejected!.Value));
        Assert.True(job.Counts.Reconciled);
        Assert.Equal(20_000L, await env.ScalarAsync<long>("select count(distinct transaction_id) from public.payments"));
        Assert.Equal(20_000L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(PaymentsCsv.FormatCents(file.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        Assert.Equal(20_000L, await env.ScalarAsync<long>("select rows from sluice.load_ledger where job_id = $1", job.Id));
        var transform = Assert.Single(job.Stages, s => s.Name == "transform");
        var load = Assert.Single(job.Stages, s => s.Name == "load");
        Assert.Equal(streams, transform.Outputs!["streamed_load"] is not null);
        Assert.Equal(streams, load.Outputs!["streamed"]!.GetValue<bool>());
        Assert.False(load.Outputs!["already_loaded"]!.GetValue<bool>());
        // A streamed load leaves the load stage only its ledger to read: it runs on transform's task, recorded with it
        // in one commit (an express lane), not queued as a task of its own.
        Assert.Equal(streams ? 0L : 1L, await env.ScalarAsync<long>("select count(*) from sluice.tasks where job_id = $1 and stage = 'load'", job.Id));
        if (streams) Assert.Equal((transform.WorkerId, 1), (load.WorkerId, load.Try));
        // The artifact is written either way: a replay from load loads from it.
        var artifact = Path.Combine(job.Workspace, "transform", "data.pgcopy");
        Assert.Equal(transform.Outputs!["data"]!["size"]!.GetValue<long>(), new FileInfo(artifact).Length);
        // Hashes taken on the way (the download's beside its copy, the artifact's as it was written) are the files' own:
        // a replay checks files against them.
        var download = Assert.Single(job.Stages, s => s.Name == "download").Outputs!["file"]!;
        Assert.Equal(Sha256Of(download["path"]!.GetValue<string>()), download["sha256"]!.GetValue<string>());
        Assert.Equal(Sha256Of(artifact), transform.Outputs!["data"]!["sha256"]!.GetValue<string>());
    }

    private static string Sha256Of(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public async Task Rejects_over_the_limit_roll_back_what_was_streamed_and_fail_the_job_in_transform()
    {
        await using var env = await StartAsync("rejects: { max_rows: 1 }");

        // Two bad rows, the last near the end of the file: most rows were already in the COPY when they were read.
        var (job, _) = await LoadAsync(env, 20_000, lines =>
        {
            lines[100] = "not,a,row";
            lines[19_990] = "not,a,row";
            return lines;
        });

        Assert.Equal("failed", job.Status);
        Assert.Equal("rejects.threshold", job.Error!.Code);
        Assert.Equal("failed", Assert.Single(job.Stages, s => s.Name == "transform").Status);
        Assert.DoesNotContain(job.Stages, s => s.Name == "load");
        // The table was created for the COPY (DDL commits before the load's transaction); the rows never committed.
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from sluice.load_ledger"));
    }

    [Fact]
    public async Task A_duplicate_key_found_by_the_streamed_copy_fails_transform_and_leaves_the_table_as_it_was()
    {
        await using var env = await StartAsync(setupSql:
            "create table public.payments (transaction_id bigint primary key, account_id int, client_id int, " +
            "amount numeric(14,2), currency char(3), booked_at timestamp, description text, status text, _sluice_job_id uuid); " +
            "insert into public.payments (transaction_id, amount) values (15000, 1.00)");

        var (job, _) = await LoadAsync(env, 20_000);   // transaction ids 1..20,000

        Assert.Equal("failed", job.Status);
        Assert.Equal("load.key_exists", job.Error!.Code);
        Assert.Contains("(transaction_id)=(15000) already exists", job.Error.Message);
        Assert.Equal("failed", Assert.Single(job.Stages, s => s.Name == "transform").Status);
        Assert.Equal("1 1.00", await env.ScalarAsync<string>("select count(*) || ' ' || sum(amount) from public.payments"));
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from sluice.load_ledger"));
    }
}
