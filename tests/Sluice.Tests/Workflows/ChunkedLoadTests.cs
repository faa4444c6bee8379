using Sluice.Control;
using Sluice.Samples;
using Sluice.Tests.Infrastructure;
using static Sluice.Tests.Workflows.ChunkedLoads;

namespace Sluice.Tests.Workflows;

/// <summary>Files above the chunk size are split; every chunk commits on its own and the counts cover all chunks.</summary>
[Collection(ChunkedLoads.Collection)]
public sealed class ChunkedLoadTests
{
    [Fact]
    public async Task A_large_file_is_loaded_in_chunks_on_several_workers_with_every_row_once_and_counts_across_chunks()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(SmallChunks));
        env.StartHost(workers: 3);

        var (job, file) = await LoadAsync(env, 4_500);

        Assert.Equal("succeeded", job.Status);
        Assert.Equal(5, job.Chunks);
        Assert.Equal((4_500L, 4_500L, 0L), (job.Counts.Read!.Value, job.Counts.Loaded!.Value, job.Counts.Rejected!.Value));
        Assert.True(job.Counts.Reconciled);
        await AssertEveryRowOnceAsync(env, 4_500, file);
        Assert.Equal(4_500L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        // One ledger row per chunk, with the chunk's rows; no merge for an append.
        Assert.Equal("0,1,2,3,4 4500 rows, at most 1000 a chunk", await env.ScalarAsync<string>(
            "select string_agg(chunk::text, ',' order by chunk) || ' ' || sum(rows) || ' rows, at most ' || " +
            "case when max(rows) <= 1000 then '1000' else max(rows)::text end || ' a chunk' from sluice.load_ledger where job_id = $1", job.Id));
        // Chunks are even, not four full ones and a remainder.
        Assert.True(await env.ScalarAsync<long>("select min(rows) from sluice.load_ledger where job_id = $1", job.Id) > 800);
        foreach (var stage in new[] { "transform", "load" })
            Assert.Equal([0, 1, 2, 3, 4], job.Stages.Where(s => s.Name == stage && s.Status == "succeeded").Select(s => s.Chunk!.Value).Order());
        Assert.DoesNotContain(job.Stages, s => s.Name == "merge");
        Assert.True(job.Stages.Where(s => s.Name == "load").Select(s => s.WorkerId).Distinct().Count() > 1, "chunks should spread over workers");
        var published = Path.Combine(env.Settings.BucketsRoot, "processed", "payments", job.Id.ToString());
        Assert.True(File.Exists(Path.Combine(published, "artifacts", "chunk-0004", "data.pgcopy")));
        Assert.True(File.Exists(Path.Combine(published, "artifacts", "chunks.json")));
    }

    [Fact]
    public async Task Chunks_of_an_append_into_a_keyed_table_load_side_by_side_by_default()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(SmallChunks, mode: "append, key: [transaction_id]"));
        env.StartHost(workers: 3);

        var (job, file) = await LoadAsync(env, 4_500);

        await AssertLoadedInChunksAsync(env, job, 5, 4_500, file);
        Assert.Equal("0,1,2,3,4 4500", await LedgerAsync(env, job.Id));
        // All five loads were queued together, by the commit of the last transform (in order, each load queues the next).
        Assert.Equal("5 loads queued at 1 moment(s)", await env.ScalarAsync<string>(
            "select count(*) || ' loads queued at ' || count(distinct created_at) || ' moment(s)' from sluice.tasks " +
            "where job_id = $1 and stage = 'load'", job.Id));
        Assert.DoesNotContain(job.Stages, s => s.Name == "merge");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]   // streamed: the first chunk holds the key uncommitted while the last one's COPY waits on it
    public async Task A_key_in_two_chunks_loaded_side_by_side_fails_the_job_with_the_key_named_and_no_row_twice(bool streamed)
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(SmallChunks, mode: "append, key: [transaction_id]"));
        if (streamed) StreamEveryFile(env);
        var host = env.StartHost(workers: 4);
        DropWithFirstKeyRepeated(env, "payments/dup.csv", 3_000, seed: 4);

        var job = Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(2)));

        Assert.Equal("failed", job.Status);
        Assert.Equal("load.key_exists", job.Error!.Code);
        Assert.Contains("(transaction_id)=(1) already exists", job.Error.Message);
        Assert.Contains("loaded nothing (the chunks of an append commit one by one", job.Error.Message);
        // Chunks that committed before the clash keep their rows (an append commits chunk by chunk); none twice.
        Assert.Equal(await env.ScalarAsync<long>("select count(*) from public.payments"),
            await env.ScalarAsync<long>("select count(distinct transaction_id) from public.payments"));
        Assert.Equal(await env.ScalarAsync<long>("select coalesce(sum(rows), 0) from sluice.load_ledger where job_id = $1", job.Id),
            await env.ScalarAsync<long>("select count(*) from public.payments"));
        // When the two chunks with the key both streamed (nearly always, with a worker for every chunk), the COPY of
        // the one that met the key second waited on the other's open transaction, and the other, waiting for every
        // chunk to count, saw it and rolled back at once (instead of both waiting 30 s for each other); its load then
        // met the duplicate. Otherwise one of them loaded from its artifact, and nothing waited.
        await host.FlushLogsAsync(TimeSpan.FromSeconds(10));
        var bothStreamed = await env.ScalarAsync<long>("select count(distinct message) from sluice.job_logs where job_id = $1 and " +
            "(message like 'chunk 0: loading rows into % as they are read%' or message like 'chunk 2: loading rows into % as they are read%')", job.Id) == 2;
        Assert.True(streamed || !bothStreamed, "streamed without streaming turned on");
        Assert.Equal(bothStreamed ? 1L : 0L, await env.ScalarAsync<long>("select count(*) from sluice.job_logs where job_id = $1 and " +
            "message like 'chunk _: another chunk''s rows wait on a key these rows hold%'", job.Id));
        Assert.DoesNotContain(job.Stages, s => s.Name == "transform" && s.Status != "succeeded");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]   // chunk streaming on: a keyed append's chunks still do not go in side by side
    public async Task Chunks_of_an_append_into_a_keyed_table_load_one_at_a_time_in_file_order_when_asked_while_transforms_run_side_by_side(bool streamChunks)
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(InOrder(SmallChunks), mode: "append, key: [transaction_id]"));
        if (streamChunks) StreamEveryFile(env);
        env.StartHost(workers: 3);

        var (job, file) = await LoadAsync(env, 4_500);

        await AssertLoadedInChunksAsync(env, job, 5, 4_500, file);
        Assert.Equal(5L, await env.ScalarAsync<long>("select count(*) from sluice.load_ledger where job_id = $1", job.Id));
        // Each load began after the one before had ended, in chunk order...
        var loads = job.Stages.Where(s => s.Name == "load").OrderBy(s => s.StartedAt).ToList();
        Assert.Equal([0, 1, 2, 3, 4], loads.Select(s => s.Chunk!.Value));
        for (var i = 1; i < loads.Count; i++)
            Assert.True(loads[i].StartedAt >= loads[i - 1].FinishedAt, $"load of chunk {i} started before chunk {i - 1}'s had ended");
        // ...so the rows went in in file order (ids ascend in the file), every key added at the index's right edge: the
        // transaction that wrote a row is never older than the one that wrote a row before it in the file.
        Assert.Equal(0L, await RowsOutOfFileOrderAsync(env));
        // The transforms were not held back: all five ran before the first load, and none loaded rows as it went.
        Assert.True(job.Stages.Where(s => s.Name == "transform").Max(s => s.FinishedAt) <= loads[0].StartedAt);
        Assert.All(loads, l => Assert.False(l.Outputs!["streamed"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task Rejected_rows_of_every_chunk_keep_their_line_in_the_whole_file_and_are_published_as_one_file()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(SmallChunks + "\nrejects: { max_rows: 10 }"));
        env.StartHost(workers: 2);
        var file = Path.Combine(env.Home, "bad.csv");
        PaymentsCsv.Write(file, 3_000, seed: 8);
        var lines = File.ReadAllLines(file);
        int[] badLines = [2, 1_500, 2_999, 3_001];     // physical lines (the header is line 1)
        foreach (var line in badLines) lines[line - 1] = lines[line - 1].Replace(",EUR,", ",EURO,").Replace(",USD,", ",USDX,")
            .Replace(",GBP,", ",GBPX,").Replace(",CHF,", ",CHFX,").Replace(",JPY,", ",JPYX,").Replace(",SEK,", ",SEKX,");
        env.Drop("inbox", "payments/bad.csv", string.Join("\n", lines) + "\n");

        var job = Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(2)));

        Assert.Equal("succeeded", job.Status);
        Assert.True(job.Chunks >= 3, $"{job.Chunks} chunks");
        Assert.Equal((3_000L, 2_996L, 4L), (job.Counts.Read!.Value, job.Counts.Loaded!.Value, job.Counts.Rejected!.Value));
        var rejects = File.ReadAllLines(Path.Combine(env.Settings.BucketsRoot, "processed", "payments", job.Id.ToString(), "rejects.csv"));
        Assert.Equal("line,column,reason,raw", rejects[0]);
        Assert.Equal(badLines.Select(l => l.ToString()), rejects.Skip(1).Select(r => r.Split(',')[0]));
        Assert.All(rejects.Skip(1), r => Assert.Contains(",currency,", r));

        // A replay from load publishes the rejects of the transforms it kept (those of the earlier attempt).
        await new Sluice.Control.JobReplay(env.ControlPlane).ReplayAsync(job.Id, "load", "again", "test", CancellationToken.None);
        Assert.Equal("succeeded", (await env.WaitForJobAsync(job.Id, TimeSpan.FromMinutes(2))).Status);
        Assert.Equal(rejects, File.ReadAllLines(Path.Combine(env.Settings.BucketsRoot, "processed", "payments", job.Id.ToString(), "rejects.csv")));
    }

    /// <summary>Drops payments/bad.csv, 3,000 payments whose given physical lines (the header is line 1) are not rows.</summary>
    private static void DropWithBadRows(TestEnvironment env, int seed, params int[] badLines)
    {
        var file = Path.Combine(env.Home, "bad.csv");
        PaymentsCsv.Write(file, 3_000, seed);
        var lines = File.ReadAllLines(file);
        foreach (var line in badLines) lines[line - 1] = "not,a,row";
        env.Drop("inbox", "payments/bad.csv", string.Join("\n", lines) + "\n");
    }

    [Fact]
    public async Task A_chunk_over_the_reject_limit_on_its_own_says_it_is_one_chunk_and_points_at_the_files_published_rejects()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(SmallChunks + "\nrejects: { max_rows: 1 }"));
        env.StartHost(workers: 2);
        DropWithBadRows(env, seed: 9, 10, 20);

        var job = Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(2)));

        Assert.Equal(("failed", "rejects.threshold"), (job.Status, job.Error!.Code));
        Assert.StartsWith("chunk 0 alone has 2 rejected rows", job.Error.Message);
        Assert.Contains("the file's rejects.csv, published with the job's report", job.Error.Message);
        Assert.DoesNotContain(env.Settings.WorkspaceRoot, job.Error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_reject_limit_crossed_only_by_the_whole_file_fails_the_job_before_any_chunk_loads(bool streamed)
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(SmallChunks + "\nrejects: { max_rows: 2 }"));
        if (streamed) StreamEveryFile(env);
        env.StartHost(workers: streamed ? 4 : 2);
        DropWithBadRows(env, seed: 9, 10, 1_010, 2_010);

        var job = Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(2)));

        Assert.Equal("failed", job.Status);
        Assert.Equal("rejects.threshold", job.Error!.Code);
        Assert.Equal(3L, job.Counts.Rejected);
        if (streamed)
        {
            // Chunks loading as they transformed created the table and held their rows until all had counted:
            // each was within the limit alone, together they were not, so none committed.
            Assert.False(await env.ScalarAsync<bool>("select to_regclass('public.payments') is null"));
            Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from public.payments"));
            Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from sluice.load_ledger"));
        }
        else
        {
            // No chunk got as far as creating the table.
            Assert.True(await env.ScalarAsync<bool>("select to_regclass('public.payments') is null"));
        }
        // The first chunk to reach load failed the job and the others were stopped, none is left queued or running.
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from sluice.tasks where status in ('ready', 'running')"));
        Assert.Single(job.Stages, s => s.Name == "load" && s.Status == "failed");
        Assert.DoesNotContain(job.Stages, s => s.Status == "running");
        Assert.Contains(job.Stages, s => s.Name == "publish" && s.Status == "succeeded");
    }

    [Fact]
    public async Task Replace_with_chunks_swaps_the_table_contents_in_one_merge_and_drops_the_staging_table()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(SmallChunks, mode: "replace"));
        env.StartHost(workers: 2);
        await env.ExecuteAsync("create table public.payments (transaction_id bigint not null, account_id int, client_id int, " +
            "amount numeric(14,2), currency char(3), booked_at timestamp, description text, status text, _sluice_job_id uuid); " +
            "insert into public.payments (transaction_id) select g from generate_series(1000000, 1000999) g");

        var (job, file) = await LoadAsync(env, 2_500);

        Assert.Equal("succeeded", job.Status);
        Assert.Equal(3, job.Chunks);
        Assert.Equal(2_500L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(PaymentsCsv.FormatCents(file.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        Assert.Single(job.Stages, s => s.Name == "merge" && s.Status == "succeeded");
        Assert.Equal(2_500L, await env.ScalarAsync<long>("select rows from sluice.load_ledger where job_id = $1 and chunk = -1", job.Id));
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from pg_tables where schemaname = 'sluice' and tablename ~ '^load_[0-9a-f]{32}_'"));
        Assert.True(job.Counts.Reconciled);
    }

    [Fact]
    public async Task Upsert_with_chunks_updates_existing_keys_and_inserts_new_ones()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(SmallChunks, mode: "upsert").Replace(
            "mode: upsert", "mode: upsert, key: [transaction_id]"));
        env.StartHost(workers: 2);
        var (first, _) = await LoadAsync(env, 2_000, "payments/a.csv", seed: 1);
        Assert.Equal("succeeded", first.Status);

        // Same ids 1..2000 with other amounts, plus 500 new ids.
        var file = Path.Combine(env.Home, "b.csv");
        var second = PaymentsCsv.Write(file, 2_500, seed: 2);
        env.Drop("inbox", "payments/b.csv", File.ReadAllText(file));
        var jobs = await env.WaitForJobsAsync(2, TimeSpan.FromMinutes(2));

        Assert.All(jobs, j => Assert.Equal("succeeded", j.Status));
        Assert.Equal(2_500L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(PaymentsCsv.FormatCents(second.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        Assert.Equal(2_500L, jobs.Single(j => j.Source.Key == "payments/b.csv").Counts.Loaded);
    }

    [Fact]
    public async Task A_staged_upsert_whose_merge_fails_leaves_the_table_as_it_was_and_counts_nothing_loaded()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(SmallChunks, mode: "upsert, key: [transaction_id]"));
        env.StartHost(workers: 2);
        // The last record repeats the first's key, which only the merge can see.
        DropWithFirstKeyRepeated(env, "payments/twice.csv", 2_500, seed: 3);

        var job = Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(2)));

        Assert.Equal(("failed", "load.duplicate_key"), (job.Status, job.Error!.Code));
        Assert.Equal(3, job.Stages.Count(s => s is { Name: "load", Status: "succeeded" }));
        // Every chunk was staged, none reached the table: the job loaded nothing.
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal((2_500L, 0L), (job.Counts.Read!.Value, job.Counts.Loaded!.Value));
    }

    [Fact]
    public async Task Replaying_a_chunked_append_from_load_replaces_the_earlier_rows_exactly_once()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(SmallChunks));
        env.StartHost(workers: 2);
        var (job, file) = await LoadAsync(env, 3_500);
        Assert.Equal("succeeded", job.Status);

        Assert.Equal(2, await new JobReplay(env.ControlPlane).ReplayAsync(job.Id, "load", "reload", "test", CancellationToken.None));
        var replayed = await env.WaitForJobAsync(job.Id, TimeSpan.FromMinutes(2));

        Assert.Equal("succeeded", replayed.Status);
        Assert.Equal(3_500L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(PaymentsCsv.FormatCents(file.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        Assert.Equal(4, replayed.Stages.Count(s => s.Name == "load" && s.Attempt == 2 && s.Status == "succeeded"));
        Assert.Single(replayed.Stages, s => s.Name == "merge" && s.Attempt == 2);
        Assert.Equal(3_500L, replayed.Counts.Loaded);
        Assert.True(replayed.Counts.Reconciled);
    }
}
