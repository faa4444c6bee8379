using Sluice.Samples;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Workflows;

namespace Sluice.Tests.Recovery;

/// <summary>A split file survives a worker process killed mid-way: only unfinished chunks run again.</summary>
public sealed class ChunkCrashTests
{
    /// <param name="streamed">Whether chunks load as they transform (with SLUICE_STREAM_CHUNKS, for files of 1 MiB and more,
    /// this one is 5 MB, when every chunk has a worker: here two chunks for the two slots), or from their artifacts in the
    /// load stage (here twelve or thirteen chunks, streaming off).</param>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_worker_killed_in_the_middle_of_a_chunked_file_leaves_every_row_once_and_only_its_unfinished_chunks_are_redone(bool streamed)
    {
        await using var env = await TestEnvironment.CreateAsync();
        var chunkRows = streamed ? 40_000 : 5_000;
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml($"chunk: {{ rows: {chunkRows} }}"));
        var file = Path.Combine(env.Home, "big.csv");
        var summary = PaymentsCsv.Write(file, 60_000, seed: 21);
        var host = env.StartHost(workers: 0);
        var target = Path.Combine(env.Settings.BucketsRoot, "inbox", "payments", "big.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(file, target);
        await env.UntilAnyAsync("select count(*) from sluice.jobs", TimeSpan.FromSeconds(60));
        await host.StopAsync();

        string doomedId;
        // Killed (SIGKILL, by itself) the moment the first chunk's rows and ledger row commit, before that chunk's stage
        // is recorded: some chunks are done, others not, whatever the speed of the machine. (Killing it from outside on
        // a log line raced with its other slot, which on a fast run could finish the remaining chunks first.)
        var workerEnv = env.CliEnvironment(lease: "2");
        if (streamed) workerEnv["SLUICE_STREAM_CHUNKS"] = "1";
        else workerEnv["SLUICE_STREAM_BYTES"] = "0";
        using (var doomed = CliProcess.Start(new Dictionary<string, string>(workerEnv) { ["SLUICE_FAULT"] = "load.commit" }, "worker", "--workers", "2"))
        {
            doomedId = $"{Environment.MachineName}:{doomed.Pid}/";
            await doomed.WaitForExitAsync(TimeSpan.FromMinutes(2));
            Assert.Contains("SLUICE_FAULT: killing this process at load.commit", doomed.StdErr);
        }
        const string Ledger = "select coalesce(string_agg(chunk || '@' || loaded_at, ',' order by chunk), '') from sluice.load_ledger";
        var beforeRescue = (await env.ScalarAsync<string>(Ledger)).Split(',', StringSplitOptions.RemoveEmptyEntries);
        using var rescuer = CliProcess.Start(workerEnv, "worker", "--workers", "2");
        var job = Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(3)));

        Assert.Equal("succeeded", job.Status);
        var chunks = job.Chunks!.Value;
        if (streamed) Assert.Equal(2, chunks);   // 60,000 rows at most 40,000 a chunk, cut on even pieces
        else Assert.InRange(chunks, 12, 13);     // at most 5,000 a chunk
        Assert.Equal(60_000L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        Assert.Equal(60_000L, await env.ScalarAsync<long>("select count(distinct transaction_id) from public.payments"));
        Assert.Equal(PaymentsCsv.FormatCents(summary.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        Assert.Equal((60_000L, 60_000L, 0L), (job.Counts.Read!.Value, job.Counts.Loaded!.Value, job.Counts.Rejected!.Value));
        Assert.Equal($"{chunks} 60000", await env.ScalarAsync<string>("select count(*) || ' ' || sum(rows) from sluice.load_ledger where rows <= $1", chunkRows));

        // Each chunk loaded once; the chunks the killed worker had committed were not loaded again.
        var loads = job.Stages.Where(s => s.Name == "load").ToList();
        Assert.Equal(Enumerable.Range(0, chunks), loads.Where(s => s.Status == "succeeded").Select(s => s.Chunk!.Value).Order());
        // Streamed chunks commit together once all have counted, so the kill may come after both committed.
        Assert.InRange(beforeRescue.Length, 1, streamed ? chunks : chunks - 1);
        var afterRescue = (await env.ScalarAsync<string>(Ledger)).Split(',');
        Assert.Empty(beforeRescue.Except(afterRescue));   // the same ledger rows, untouched: those chunks were not loaded again
        var doneBeforeKill = beforeRescue.Select(e => int.Parse(e.Split('@')[0], System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        // A chunk whose rows committed just before the kill, but not its stage, is found in the ledger by the rescuer.
        Assert.All(loads.Where(s => s.Status == "succeeded" && doneBeforeKill.Contains(s.Chunk!.Value) && !s.WorkerId!.StartsWith(doomedId, StringComparison.Ordinal)),
            s => Assert.True(s.Outputs!["already_loaded"]!.GetValue<bool>()));
        Assert.All(loads.Where(s => s.Status == "abandoned"), s => Assert.StartsWith(doomedId, s.WorkerId));
        Assert.True(loads.Count(s => s.Status == "abandoned") + job.Stages.Count(s => s.Name == "transform" && s.Status == "abandoned") <= 2,
            "only the stages the killed worker's two slots were running are redone");
        // Streamed, the first rows to commit are those of a chunk's transform, once both chunks had counted; else those
        // of a load, after every chunk was transformed.
        var killedAfterCommit = job.Stages.Where(s => s.Status == "abandoned" && s.Chunk is { } c && doneBeforeKill.Contains(c)).ToList();
        Assert.NotEmpty(killedAfterCommit);
        Assert.All(killedAfterCommit, s => Assert.Equal(streamed ? "transform" : "load", s.Name));
    }
    /// <summary>
    /// A chunk of an append whose rows commit just before another chunk fails the job is stopped before it can record
    /// its stage: its rows stay in the target (an append commits chunk by chunk), and the job's loaded count includes
    /// them, read from the load ledger when the failed job is published.
    /// </summary>
    [Fact]
    public async Task Rows_a_chunk_committed_just_before_another_chunk_failed_the_job_are_counted_as_loaded()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(ChunkedLoads.SmallChunks, mode: "append, key: [transaction_id]"));
        // One worker transforms the chunks, loads one, and stops itself the moment its rows and ledger row commit, its
        // lease still held; another worker then loads the others, and the chunk that meets the key fails the job.
        var (stalled, workerEnv) = await StallFirstChunkLoadAsync(env, () => ChunkedLoads.DropWithFirstKeyRepeated(env, "payments/dup.csv", 3_000, seed: 4),
            "load.commit");
        using var _ = stalled;
        using var other = CliProcess.Start(workerEnv, "worker", "--workers", "1");
        var job = Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(2)));

        Assert.Equal(("failed", "load.key_exists"), (job.Status, job.Error!.Code));
        var stopped = Assert.Single(job.Stages, s => s is { Name: "load", Status: "abandoned" });
        Assert.StartsWith($"{Environment.MachineName}:{stalled.Pid}/", stopped.WorkerId);
        Assert.InRange(await env.ScalarAsync<long>("select rows from sluice.load_ledger where job_id = $1 and chunk = $2", job.Id, stopped.Chunk!.Value), 1, 1_000);
        var inTable = await env.ScalarAsync<long>("select count(*) from public.payments");
        Assert.Equal(inTable, await env.ScalarAsync<long>("select count(distinct transaction_id) from public.payments"));
        Assert.Equal(inTable, await env.ScalarAsync<long>("select sum(rows) from sluice.load_ledger where job_id = $1", job.Id));
        Assert.Equal(inTable, job.Counts.Loaded);
        Assert.Equal((3_000L, 0L), (job.Counts.Read!.Value, job.Counts.Rejected!.Value));
        await AssertFailedEventCountsAsync(env, job);
    }
    /// <summary>
    /// A chunk that proved its lease holds its task until its rows commit: another chunk failing the job meanwhile waits
    /// to cancel it, so the rows are counted when the failed job is published — whether the target is the control
    /// plane's database (the check in the load's own transaction) or a pipeline's own (a transaction held open on the
    /// control plane).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_chunk_failing_the_job_waits_for_a_chunk_between_its_lease_check_and_its_commit(bool ownDatabase)
    {
        await using var env = await TestEnvironment.CreateAsync();
        await using var warehouse = await TargetDatabase.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml(ChunkedLoads.SmallChunks, mode: ownDatabase ? warehouse.Mode("append") : "append"));
        // A status the table refuses (not null) in the last chunk fails the job in its load, whatever the other chunks do.
        await (ownDatabase ? warehouse.ExecuteAsync(PaymentsTable) : env.ExecuteAsync(PaymentsTable));
        // One worker transforms every chunk, loads one, and stops itself between its lease check and its commit.
        var (stalled, workerEnv) = await StallFirstChunkLoadAsync(env, () =>
        {
            var file = Path.Combine(env.Home, "no-status.csv");
            PaymentsCsv.Write(file, 3_000, seed: 6);
            var lines = File.ReadAllLines(file);
            lines[^1] = lines[^1][..(lines[^1].LastIndexOf(',') + 1)];
            env.Drop("inbox", "payments/no-status.csv", string.Join("\n", lines) + "\n");
        }, "load.committing");
        using var _ = stalled;
        // Another loads the other chunks; the last fails the job, and its commit waits on the stalled chunk's task.
        using var other = CliProcess.Start(workerEnv, "worker", "--workers", "1");
        await env.UntilASessionWaitsOnALockAsync(TimeSpan.FromMinutes(2));
        Assert.Equal("running", await env.ScalarAsync<string>("select status from sluice.jobs"));
        stalled.Signal("CONT");
        var job = Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(2)));

        Assert.Equal(("failed", "load.not_null"), (job.Status, job.Error!.Code));
        Func<string, object[], Task<long>> target = ownDatabase ? warehouse.ScalarAsync<long> : env.ScalarAsync<long>;
        var inTable = await target("select count(*) from public.payments", []);
        Assert.InRange(inTable, 1, 2_999);
        Assert.Equal(inTable, await target("select sum(rows) from sluice.load_ledger where job_id = $1", [job.Id]));
        Assert.Equal(inTable, job.Counts.Loaded);
        await AssertFailedEventCountsAsync(env, job);
    }

    /// <summary>
    /// The job.failed event in the outbox carries the counts the job row ends with, not those of the moment the job failed:
    /// the rows of the chunk stopped after its commit are counted only when publish reads the ledger, after the event was
    /// written. (The race is forced with the SLUICE_FAULT stop points of the tests above.)
    /// </summary>
    private static async Task AssertFailedEventCountsAsync(TestEnvironment env, Sluice.Control.JobView job)
    {
        var counts = await env.ScalarAsync<string>(
            "select string_agg(concat_ws(' ', payload -> 'counts' ->> 'read', payload -> 'counts' ->> 'loaded', payload -> 'counts' ->> 'rejected'), ',') " +
            "from sluice.events where job_id = $1 and type = 'job.failed'", job.Id);
        Assert.Equal($"{job.Counts.Read} {job.Counts.Loaded} {job.Counts.Rejected}", counts);
    }

    /// <summary>
    /// Takes in the file <paramref name="drop"/> drops (a serve without workers opens its job), then starts a worker process
    /// of one slot that runs the job's stages and stops itself (SIGSTOP) at <paramref name="fault"/> in its first chunk's
    /// load, its lease long enough to stay held meanwhile. Returns it stopped there, and the environment for other workers.
    /// </summary>
    private static async Task<(CliProcess Stalled, Dictionary<string, string> WorkerEnv)> StallFirstChunkLoadAsync(TestEnvironment env, Action drop, string fault)
    {
        var host = env.StartHost(workers: 0);
        drop();
        await env.UntilAnyAsync("select count(*) from sluice.jobs", TimeSpan.FromSeconds(60));
        await host.StopAsync();
        var workerEnv = env.CliEnvironment(lease: "120");
        workerEnv["SLUICE_STREAM_BYTES"] = "0";
        var stalled = CliProcess.Start(new Dictionary<string, string>(workerEnv) { ["SLUICE_FAULT"] = "stop:" + fault }, "worker", "--workers", "1");
        try
        {
            await stalled.WaitForErrorLineAsync($"SLUICE_FAULT: stopping this process at {fault}", TimeSpan.FromMinutes(2));
        }
        catch
        {
            stalled.Dispose();
            throw;
        }
        return (stalled, workerEnv);
    }

    private const string PaymentsTable = "create table public.payments (transaction_id bigint, account_id int, client_id int, " +
        "amount numeric(14,2), currency char(3), booked_at timestamp, description text, status text not null, _sluice_job_id uuid)";
}
