using Sluice.Control;
using Sluice.Samples;
using Sluice.Tests.Infrastructure;
using static Sluice.Tests.Workflows.ChunkedLoads;

namespace Sluice.Tests.Workflows;

/// <summary>
/// A pipeline whose <c>target.database</c> names another database than the control plane's: the rows, their ledger and
/// any staging table live there, the lease is proven on the control plane, and exactly-once holds the same way.
/// </summary>
[Collection(Collection)]
public sealed class TargetDatabaseTests
{
    [Fact]
    public async Task Rows_and_their_ledger_go_to_the_pipelines_own_database_and_a_replay_from_load_keeps_every_row_once()
    {
        await using var env = await TestEnvironment.CreateAsync();
        await using var warehouse = await TargetDatabase.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(mode: warehouse.Mode("append")));
        env.StartHost();
        var (_, summary) = env.DropPayments("payments/p.csv", 2_000, seed: 3);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("succeeded", job.Status);
        Assert.Equal(2_000L, await warehouse.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(PaymentsCsv.FormatCents(summary.AmountCents), await warehouse.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        Assert.Equal(2_000L, await warehouse.ScalarAsync<long>("select rows from sluice.load_ledger where job_id = $1", job.Id));
        // Nothing of the load in the control plane's database.
        Assert.True(await env.ScalarAsync<bool>("select to_regclass('public.payments') is null and to_regclass('sluice.load_ledger') is null"));

        await new JobReplay(env.ControlPlane).ReplayAsync(job.Id, "load", "again", "test", CancellationToken.None);
        var replayed = await env.WaitForJobAsync(job.Id);

        Assert.Equal(("succeeded", 2, 2_000L), (replayed.Status, replayed.Attempt, replayed.Counts.Loaded!.Value));
        Assert.Equal(2_000L, await warehouse.ScalarAsync<long>("select count(distinct transaction_id) from public.payments"));
        Assert.Equal(2_000L, await warehouse.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(2, await warehouse.ScalarAsync<int>("select attempt from sluice.load_ledger where job_id = $1", job.Id));
    }

    [Fact]
    public async Task Chunks_merge_in_the_pipelines_own_database_and_a_failed_split_file_counts_what_its_ledger_holds_there()
    {
        await using var env = await TestEnvironment.CreateAsync();
        await using var warehouse = await TargetDatabase.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(SmallChunks, mode: warehouse.Mode("upsert, key: [transaction_id]")));
        env.StartHost(workers: 2);

        var (merged, file) = await LoadAsync(env, 2_500, "payments/a.csv", seed: 1);

        Assert.Equal(("succeeded", 3), (merged.Status, merged.Chunks));
        Assert.Equal(2_500L, await warehouse.ScalarAsync<long>("select count(distinct transaction_id) from public.payments"));
        Assert.Equal(PaymentsCsv.FormatCents(file.AmountCents), await warehouse.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        Assert.Equal(2_500L, await warehouse.ScalarAsync<long>("select rows from sluice.load_ledger where job_id = $1 and chunk = -1", merged.Id));
        Assert.Equal(0L, await warehouse.ScalarAsync<long>("select count(*) from pg_tables where schemaname = 'sluice' and tablename ~ '^load_[0-9a-f]{32}_'"));

        // A key twice in one file: the chunks stage, the merge fails, and the table keeps the first file's rows only.
        DropWithFirstKeyRepeated(env, "payments/b.csv", 3_000, seed: 2);
        var failed = (await env.WaitForJobsAsync(2, TimeSpan.FromMinutes(2))).Single(j => j.Source.Key == "payments/b.csv");

        Assert.Equal(("failed", "load.duplicate_key"), (failed.Status, failed.Error!.Code));
        Assert.Equal(0L, failed.Counts.Loaded);
        Assert.Equal(PaymentsCsv.FormatCents(file.AmountCents), await warehouse.ScalarAsync<string>("select sum(amount)::text from public.payments"));
    }
}
