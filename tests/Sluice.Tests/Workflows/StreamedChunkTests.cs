using Sluice.Tests.Infrastructure;
using static Sluice.Tests.Workflows.ChunkedLoads;

namespace Sluice.Tests.Workflows;

/// <summary>Chunks that load as they are transformed: a medium file spread over the cores, the first chunk of a file
/// loaded in key order, and every chunk under way together; each holds its rows until the whole file has counted.</summary>
[Collection(ChunkedLoads.Collection)]
public sealed class StreamedChunkTests
{
    [Fact]
    public async Task A_file_smaller_than_one_chunk_is_spread_over_the_cores_in_chunks_that_load_as_they_transform()
    {
        // About 10 MiB: under the default chunk (1,000,000 rows or 128 MiB), and two shares of at least 4 MiB, so on
        // any machine of two cores or more it is cut in two, one per core; each chunk streams its rows into the table.
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(mode: "append, key: [transaction_id]"));
        env.StartHost(workers: 3);

        var (job, file) = await LoadAsync(env, 120_000);

        var ways = Math.Min(Environment.ProcessorCount, 2);
        Assert.Equal("succeeded", job.Status);
        Assert.Equal(ways == 1 ? null : ways, job.Chunks);
        Assert.True(job.Counts.Reconciled);
        await AssertEveryRowOnceAsync(env, 120_000, file);
        if (ways == 1) return;   // one core: the file loads whole, as any other
        Assert.Equal("0,1 120000", await LedgerAsync(env, job.Id));
        Assert.InRange(await env.ScalarAsync<long>("select min(rows) from sluice.load_ledger where job_id = $1", job.Id), 50_000, 60_000);
        // The chunk that started last found the other under way, so it loaded as it transformed.
        Assert.Contains(job.Stages, s => s.Name == "load" && s.Outputs!["streamed"]!.GetValue<bool>());
        Assert.DoesNotContain(job.Stages, s => s.Name == "merge");
    }

    [Fact]
    public async Task A_file_that_could_be_spread_is_processed_whole_when_no_other_worker_is_free()
    {
        // One worker: none is free to take a second chunk, which the first would wait for and then load without.
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(mode: "append, key: [transaction_id]"));
        var host = env.StartHost(workers: 1);

        var (job, file) = await LoadAsync(env, 120_000);

        Assert.Equal("succeeded", job.Status);
        Assert.Null(job.Chunks);
        await AssertEveryRowOnceAsync(env, 120_000, file);
        Assert.Equal("0 120000", await LedgerAsync(env, job.Id));
        Assert.True(job.Stages.Single(s => s.Name == "load").Outputs!["streamed"]!.GetValue<bool>());
        await host.FlushLogsAsync(TimeSpan.FromSeconds(10));
        var whole = await env.ScalarAsync<long>("select count(*) from sluice.job_logs where job_id = $1 and " +
            "message like '0 other worker(s) free for a file that could be spread over 2 cores: processed whole'", job.Id);
        Assert.Equal(Environment.ProcessorCount >= 2 ? 1L : 0L, whole);
    }

    [Fact]
    public async Task The_first_chunk_of_a_file_loaded_in_key_order_loads_as_it_transforms_and_the_others_follow_in_order()
    {
        // Streaming on for any file size (not for chunks side by side): the first chunk's keys come first in the file,
        // so it may load while the other chunk is transformed; the other loads after it from its artifact. The first
        // chunk streams only if it starts within a tenth of a second of the other (StreamedLoad.ChunksUnderWayAsync):
        // on a machine busy with other tests a worker is sometimes later than that, and then both chunks load from
        // their artifacts, as they should. Every try must load every row once, in file order; one of three must stream.
        for (var attempt = 1; attempt <= 3; attempt++)
            if (await LoadInKeyOrderAsync()) return;
        Assert.Fail("in three tries the first chunk never loaded as it was transformed");
    }

    /// <summary>One file in two chunks loaded in key order, checked; whether its first chunk streamed.</summary>
    private static async Task<bool> LoadInKeyOrderAsync()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(InOrder("chunk: { rows: 100000, spread: false }"), mode: "append, key: [transaction_id]"));
        env.WithSettings(s => s with { StreamBytes = 1 });
        env.StartHost(workers: 3);

        var (job, file) = await LoadAsync(env, 200_000);

        await AssertLoadedInChunksAsync(env, job, 2, 200_000, file);
        Assert.Equal(200_000L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        var loads = job.Stages.Where(s => s.Name == "load").OrderBy(s => s.StartedAt).ToList();
        Assert.Equal([0, 1], loads.Select(s => s.Chunk!.Value));
        // Still in file order: the first chunk's rows committed by its transform (or its load), the second's by its load after it.
        Assert.Equal(0L, await RowsOutOfFileOrderAsync(env));
        Assert.Equal("0,1 200000", await LedgerAsync(env, job.Id));
        var streamed = loads.Select(l => l.Outputs!["streamed"]!.GetValue<bool>()).ToList();
        Assert.False(streamed[1], "only the first chunk of an in-order file streams");
        if (!streamed[0]) return false;
        Assert.Equal(loads[0].Outputs!["rows"]!.GetValue<long>(),
            job.Stages.Single(s => s.Name == "transform" && s.Chunk == 0).Outputs!["streamed_load"]!["rows"]!.GetValue<long>());
        return true;
    }

    [Fact]
    public async Task Chunks_under_way_together_load_as_they_transform_and_commit_once_every_chunk_has_counted()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(SmallChunks));
        StreamEveryFile(env);
        env.StartHost(workers: 4);

        var (job, file) = await LoadAsync(env, 3_000);

        Assert.Equal("succeeded", job.Status);
        var chunks = Enumerable.Range(0, job.Chunks!.Value).ToList();
        Assert.InRange(chunks.Count, 3, 4);   // at most 1,000 rows a chunk, cut on even pieces by size
        Assert.Equal((3_000L, 3_000L, 0L), (job.Counts.Read!.Value, job.Counts.Loaded!.Value, job.Counts.Rejected!.Value));
        Assert.True(job.Counts.Reconciled);
        Assert.Equal(3_000L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        await AssertEveryRowOnceAsync(env, 3_000, file);
        var expected = $"{string.Join(',', chunks)} 3000";
        Assert.Equal(expected, await LedgerAsync(env, job.Id));
        // Every chunk counted once, as it finished reading.
        Assert.Equal(expected, await env.ScalarAsync<string>(
            "select string_agg(chunk::text, ',' order by chunk) || ' ' || sum(rows_read) from sluice.chunk_tallies where job_id = $1", job.Id));
        var loads = job.Stages.Where(s => s.Name == "load" && s.Status == "succeeded").ToList();
        Assert.Equal(chunks, loads.Select(s => s.Chunk!.Value).Order());
        // The last chunk to start found the others under way or counted, so at least it loaded as it transformed; its
        // load stage found the rows committed with their ledger row and recorded them.
        var streamed = loads.Where(s => s.Outputs!["streamed"]!.GetValue<bool>()).Select(s => s.Chunk!.Value).ToList();
        Assert.NotEmpty(streamed);
        Assert.All(streamed, c => Assert.Equal(
            loads.Single(s => s.Chunk == c).Outputs!["rows"]!.GetValue<long>(),
            job.Stages.Single(s => s.Name == "transform" && s.Chunk == c && s.Status == "succeeded").Outputs!["streamed_load"]!["rows"]!.GetValue<long>()));
    }
}
