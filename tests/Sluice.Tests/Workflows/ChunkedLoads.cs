using Sluice.Control;
using Sluice.Samples;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Workflows;

/// <summary>What the chunked-load tests share: the files they drop, the pipelines' <c>chunk:</c> lines, and the checks
/// on what reached the table and the ledger.</summary>
internal static class ChunkedLoads
{
    /// <summary>The chunked-load test classes run one test at a time between them, as when they were one class: each
    /// test loads a file on several workers, and a streamed chunk's outcome depends on its worker starting in time.</summary>
    public const string Collection = "chunked loads";

    public const string SmallChunks = "chunk: { rows: 1000 }";

    /// <summary>A <c>chunk:</c> line whose keyed appends load one chunk at a time, in file order.</summary>
    public static string InOrder(string chunk) => chunk.Replace(" }", ", keyed_loads: in_order }");

    public static async Task<(JobView Job, PaymentsCsv.Summary File)> LoadAsync(TestEnvironment env, int rows, string key = "payments/big.csv", int seed = 5)
    {
        var file = Path.Combine(env.Home, Guid.NewGuid().ToString("N"));
        var summary = PaymentsCsv.Write(file, rows, seed);
        env.Drop("inbox", key, File.ReadAllText(file));
        var jobs = await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(2));
        return (jobs.Single(j => j.Source.Key == key), summary);
    }

    /// <summary>Drops a payments file of <paramref name="rows"/> whose last record takes the first one's transaction id
    /// (ids are 1..rows in file order): the first and last chunks share a key.</summary>
    public static void DropWithFirstKeyRepeated(TestEnvironment env, string key, int rows, int seed)
    {
        var file = Path.Combine(env.Home, Guid.NewGuid().ToString("N"));
        PaymentsCsv.Write(file, rows, seed);
        var lines = File.ReadAllLines(file);
        lines[^1] = "1" + lines[^1][lines[^1].IndexOf(',')..];
        env.Drop("inbox", key, string.Join("\n", lines) + "\n");
    }

    /// <summary>The job succeeded in <paramref name="chunks"/> chunks, its counts reconcile, and every row is in once.</summary>
    public static async Task AssertLoadedInChunksAsync(TestEnvironment env, JobView job, int chunks, long rows, PaymentsCsv.Summary file)
    {
        Assert.Equal("succeeded", job.Status);
        Assert.Equal(chunks, job.Chunks);
        Assert.True(job.Counts.Reconciled);
        await AssertEveryRowOnceAsync(env, rows, file);
    }

    /// <summary>Every transaction id of the file in the table once, and the amounts adding up to the file's.</summary>
    public static async Task AssertEveryRowOnceAsync(TestEnvironment env, long rows, PaymentsCsv.Summary file)
    {
        Assert.Equal(rows, await env.ScalarAsync<long>("select count(distinct transaction_id) from public.payments"));
        Assert.Equal(PaymentsCsv.FormatCents(file.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
    }

    /// <summary>The job's ledger rows: their chunks in order and the rows they hold, as "0,1,2 3000".</summary>
    public static Task<string> LedgerAsync(TestEnvironment env, Guid jobId) => env.ScalarAsync<string>(
        "select string_agg(chunk::text, ',' order by chunk) || ' ' || sum(rows) from sluice.load_ledger where job_id = $1", jobId);

    /// <summary>Rows whose transaction is older than the one that wrote the row before them in the file (ids ascend in
    /// the file): zero when the rows went into the table in file order.</summary>
    public static Task<long> RowsOutOfFileOrderAsync(TestEnvironment env) => env.ScalarAsync<long>(
        "select count(*) from (select xmin::text::bigint < lag(xmin::text::bigint) over (order by transaction_id) as back " +
        "from public.payments) r where back");

    /// <summary>Lets even these small files load as they transform (streamed loads start at 1 MiB by default), chunks too
    /// (off by default).</summary>
    public static void StreamEveryFile(TestEnvironment env) => env.WithSettings(s => s with { StreamBytes = 1, StreamChunks = true });
}
