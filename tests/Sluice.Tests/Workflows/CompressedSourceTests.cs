using System.IO.Compression;
using Sluice.Control;
using Sluice.Samples;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Workflows;

/// <summary>Sources compressed with gzip (<c>*.gz</c>) or Zstandard (<c>*.zst</c>), or zipped (<c>*.zip</c>): decompressed
/// by the download stage, limited against bombs.</summary>
public sealed class CompressedSourceTests
{
    private static string GzipPipeline(string extra = "") =>
        PaymentsPipeline.Yaml(extra).Replace("\"payments/*.csv\"", "\"payments/*.csv*\"", StringComparison.Ordinal);

    [Fact]
    public async Task A_gzip_compressed_csv_is_inflated_and_loaded_exactly_and_published_as_it_arrived()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", GzipPipeline());
        var (gz, summary) = WriteCompressedPayments(env, "p.csv.gz", 4_000, seed: 21);
        env.StartHost();
        env.DropCopy("payments/p.csv.gz", gz);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("succeeded", job.Status);
        Assert.Equal((4_000L, 4_000L, 0L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected));
        Assert.Equal(PaymentsCsv.FormatCents(summary.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        var download = Assert.Single(job.Stages, s => s.Name == "download").Outputs!;
        Assert.Equal(Path.Combine(job.Workspace, "download", "p.csv"), (string?)download["file"]!["path"]);
        Assert.Equal(new FileInfo(Path.Combine(job.Workspace, "download", "p.csv")).Length, (long)download["file"]!["size"]!);
        Assert.Equal(job.Source.Sha256, (string?)download["compressed"]!["sha256"]);
        var published = Path.Combine(env.Settings.BucketsRoot, "processed", "payments", job.Id.ToString(), "source", "p.csv.gz");
        Assert.Equal(await File.ReadAllBytesAsync(gz), await File.ReadAllBytesAsync(published));
    }

    [Fact]
    public async Task A_compressed_file_larger_than_a_chunk_is_split_once_inflated_and_every_row_loads_once()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", GzipPipeline("chunk: { rows: 1000, spread: false }"));
        var (gz, summary) = WriteCompressedPayments(env, "big.csv.gz", 4_500, seed: 22);
        env.StartHost(workers: 3);
        env.DropCopy("payments/big.csv.gz", gz);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("succeeded", job.Status);
        Assert.Equal(5, job.Chunks);
        Assert.Equal((4_500L, 4_500L), (job.Counts.Read, job.Counts.Loaded));
        Assert.Equal(4_500L, await env.ScalarAsync<long>("select count(distinct transaction_id) from public.payments"));
        Assert.Equal(PaymentsCsv.FormatCents(summary.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
    }

    [Fact]
    public async Task A_replay_from_transform_reads_the_inflated_file_the_first_attempt_left()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", GzipPipeline());
        var (gz, _) = WriteCompressedPayments(env, "r.csv.gz", 300, seed: 23);
        env.StartHost();
        env.DropCopy("payments/r.csv.gz", gz);
        var job = Assert.Single(await env.WaitForJobsAsync(1));
        Assert.Equal("succeeded", job.Status);

        await new JobReplay(env.ControlPlane).ReplayAsync(job.Id, "transform", "again", "test", CancellationToken.None);
        var replayed = await env.WaitForJobAsync(job.Id);

        Assert.Equal(("succeeded", 2), (replayed.Status, replayed.Attempt));
        Assert.Equal(300L, await env.ScalarAsync<long>("select count(*) from public.payments where _sluice_job_id = $1", job.Id));
    }

    [Fact]
    public async Task A_compressed_csv_converts_to_parquet_named_without_gz_and_passes_validation()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("convert.yaml", """
            name: exports-to-parquet
            on: { bucket: inbox, match: "exports/*.csv.gz" }
            workflow: convert
            source: { format: csv }
            target: { format: parquet, bucket: processed }
            """);
        var (gz, _) = WriteCompressedPayments(env, "e.csv.gz", 2_000, seed: 26);
        env.StartHost();
        env.DropCopy("exports/e.csv.gz", gz);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("succeeded", job.Status);
        Assert.Equal((2_000L, 2_000L), (job.Counts.Read, job.Counts.Loaded));
        var published = Path.Combine(env.Settings.BucketsRoot, "processed", "exports-to-parquet", job.Id.ToString());
        Assert.True(File.Exists(Path.Combine(published, "e.parquet")));
        Assert.True(File.Exists(Path.Combine(published, "source", "e.csv.gz")));
        Assert.Contains("\"status\": \"passed\"", await File.ReadAllTextAsync(Path.Combine(published, "validation.json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_inflates_past_the_limit_fails_as_a_decompression_bomb_and_leaves_nothing_inflated()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", GzipPipeline());
        // 65 MiB of zeros compress to about 65 KB: a thousand times, and more than the 64 MiB any file may reach.
        var bomb = Path.Combine(env.Home, "bomb.csv.gz");
        await using (var gzip = new GZipStream(File.Create(bomb), CompressionLevel.Optimal))
        {
            var zeros = new byte[1 << 20];
            for (var i = 0; i < 65; i++) gzip.Write(zeros);
        }
        env.StartHost();
        env.DropCopy("payments/bomb.csv.gz", bomb);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal(("failed", "source.inflate_limit"), (job.Status, job.Error?.Code));
        Assert.Contains("inbox/payments/bomb.csv.gz inflates to more than 67,108,864 bytes", job.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("SLUICE_MAX_INFLATE_RATIO", job.Error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(job.Workspace, "download", "bomb.csv")));
        Assert.Equal(["receive", "download"], job.Stages.Select(s => s.Name));
    }

    [Fact]
    public async Task A_gzip_file_cut_short_fails_at_download_naming_the_file_and_loads_none_of_its_rows()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", GzipPipeline());
        var (gz, _) = WriteCompressedPayments(env, "cut.csv.gz", 5_000, seed: 24);
        var bytes = await File.ReadAllBytesAsync(gz);
        await File.WriteAllBytesAsync(gz, bytes[..(bytes.Length / 2)]);
        env.StartHost();
        env.DropCopy("payments/cut.csv.gz", gz);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal(("failed", "source.gzip_corrupt"), (job.Status, job.Error?.Code));
        Assert.Contains("inbox/payments/cut.csv.gz", job.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("put a complete copy in its place", job.Error.Message, StringComparison.Ordinal);
        Assert.Equal(["receive", "download"], job.Stages.Select(s => s.Name));
    }

    [Fact]
    public async Task A_file_compressed_twice_fails_at_download_saying_so_instead_of_rejecting_every_line_as_garbage()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("events.yaml", """
            name: events
            on: { bucket: inbox, match: "events/*.jsonl.gz" }
            source: { format: jsonl }
            schema: { id: bigint }
            target: { table: public.events }
            """);
        var twice = Path.Combine(env.Home, "twice.jsonl.gz");
        await File.WriteAllBytesAsync(twice, GzipFiles.Compress(GzipFiles.Compress("{\"id\": 1}\n"u8.ToArray())));
        env.StartHost();
        env.DropCopy("events/twice.jsonl.gz", twice);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal(("failed", "source.compressed"), (job.Status, job.Error?.Code));
        Assert.Equal("object 'events/twice.jsonl.gz' in bucket 'inbox' decompresses to gzip-compressed content again: it was compressed twice; " +
                     "compress the file once and put it in its place.", job.Error!.Message);
        Assert.Equal(["receive", "download"], job.Stages.Select(s => s.Name));
        Assert.False(File.Exists(Path.Combine(job.Workspace, "download", "twice.jsonl")));
    }

    [Fact]
    public async Task A_name_and_content_that_disagree_about_gzip_fail_saying_how_to_name_the_file()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", GzipPipeline());
        var (gz, _) = WriteCompressedPayments(env, "hidden.csv.gz", 10, seed: 25);
        env.StartHost();
        env.Drop("inbox", "payments/plain.csv.gz", PaymentsCsv.Header + "\n");
        env.DropCopy("payments/hidden.csv", gz);

        var jobs = await env.WaitForJobsAsync(2);

        var plain = Assert.Single(jobs, j => j.Source.Key == "payments/plain.csv.gz");
        Assert.Equal(("failed", "source.not_gzip"), (plain.Status, plain.Error?.Code));
        Assert.Contains("put it under a name without .gz", plain.Error!.Message, StringComparison.Ordinal);
        var hidden = Assert.Single(jobs, j => j.Source.Key == "payments/hidden.csv");
        Assert.Equal(("failed", "source.compressed"), (hidden.Status, hidden.Error?.Code));
        Assert.Contains("hidden.csv.gz", hidden.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_zstandard_compressed_csv_is_decompressed_and_loaded_exactly_and_published_as_it_arrived()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", GzipPipeline());
        var csv = Path.Combine(env.Home, "z.csv.plain");
        var summary = PaymentsCsv.Write(csv, 3_000, seed: 31);
        var zst = Path.Combine(env.Home, "z.csv.zst");
        await File.WriteAllBytesAsync(zst, ZstdFiles.Compress(await File.ReadAllBytesAsync(csv)));
        await File.WriteAllBytesAsync(Path.Combine(env.Home, "hidden.csv"), ZstdFiles.Compress(await File.ReadAllBytesAsync(csv)));
        env.StartHost();
        env.DropCopy("payments/z.csv.zst", zst);
        env.DropCopy("payments/hidden.csv", Path.Combine(env.Home, "hidden.csv"));

        var jobs = await env.WaitForJobsAsync(2);

        var job = Assert.Single(jobs, j => j.Source.Key == "payments/z.csv.zst");
        Assert.Equal("succeeded", job.Status);
        Assert.Equal((3_000L, 3_000L, 0L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected));
        Assert.Equal(PaymentsCsv.FormatCents(summary.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        var download = Assert.Single(job.Stages, s => s.Name == "download").Outputs!;
        Assert.Equal(Path.Combine(job.Workspace, "download", "z.csv"), (string?)download["file"]!["path"]);
        Assert.Equal(new FileInfo(csv).Length, (long)download["file"]!["size"]!);
        var published = Path.Combine(env.Settings.BucketsRoot, "processed", "payments", job.Id.ToString(), "source", "z.csv.zst");
        Assert.Equal(await File.ReadAllBytesAsync(zst), await File.ReadAllBytesAsync(published));
        // Zstandard content under a plain name would reach the CSV reader as garbage: refused, with the name to use.
        var hidden = Assert.Single(jobs, j => j.Source.Key == "payments/hidden.csv");
        Assert.Equal(("failed", "source.compressed"), (hidden.Status, hidden.Error?.Code));
        Assert.Contains("is zstd-compressed but its name does not end in .zst", hidden.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("hidden.csv.zst", hidden.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_zip_of_one_csv_is_extracted_and_loaded_exactly_and_a_zip_of_two_or_a_workbook_fails_saying_what_to_send()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml().Replace("\"payments/*.csv\"", "\"payments/*\"", StringComparison.Ordinal));
        var csv = Path.Combine(env.Home, "z.csv.plain");
        var summary = PaymentsCsv.Write(csv, 2_500, seed: 32);
        var content = await File.ReadAllBytesAsync(csv);
        var zip = Path.Combine(env.Home, "march.zip");
        // As macOS's Finder zips a folder: the folder, the file, and the file's metadata beside it.
        await File.WriteAllBytesAsync(zip, ZipFiles.Archive(("march/", []), ("march/payments.csv", content), ("__MACOSX/march/._payments.csv", [0, 5])));
        var two = Path.Combine(env.Home, "two.zip");
        await File.WriteAllBytesAsync(two, ZipFiles.Archive(("a.csv", content), ("b.csv", content)));
        var workbook = Path.Combine(env.Home, "book.xlsx");
        await File.WriteAllBytesAsync(workbook, ZipFiles.Archive(("[Content_Types].xml", "<Types/>"u8.ToArray()), ("xl/workbook.xml", "<workbook/>"u8.ToArray())));
        env.StartHost();
        env.DropCopy("payments/march.zip", zip);
        env.DropCopy("payments/two.zip", two);
        env.DropCopy("payments/book.xlsx", workbook);

        var jobs = await env.WaitForJobsAsync(3);

        var job = Assert.Single(jobs, j => j.Source.Key == "payments/march.zip");
        Assert.Equal("succeeded", job.Status);
        Assert.Equal((2_500L, 2_500L, 0L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected));
        Assert.Equal(PaymentsCsv.FormatCents(summary.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        var download = Assert.Single(job.Stages, s => s.Name == "download").Outputs!;
        Assert.Equal((Path.Combine(job.Workspace, "download", "march"), "march/payments.csv"), ((string?)download["file"]!["path"], (string?)download["entry"]));
        var published = Path.Combine(env.Settings.BucketsRoot, "processed", "payments", job.Id.ToString(), "source", "march.zip");
        Assert.Equal(await File.ReadAllBytesAsync(zip), await File.ReadAllBytesAsync(published));
        var refused = Assert.Single(jobs, j => j.Source.Key == "payments/two.zip");
        Assert.Equal(("failed", "source.zip_entries"), (refused.Status, refused.Error?.Code));
        Assert.StartsWith("inbox/payments/two.zip holds 2 files (a.csv, b.csv); Sluice reads one file from an archive", refused.Error!.Message, StringComparison.Ordinal);
        var book = Assert.Single(jobs, j => j.Source.Key == "payments/book.xlsx");
        Assert.Equal(("failed", "source.compressed"), (book.Status, book.Error?.Code));
        Assert.Equal("object 'payments/book.xlsx' in bucket 'inbox' is a spreadsheet workbook, which Sluice does not read; export it as CSV " +
                     "(or Parquet) and put that in the bucket instead.", book.Error!.Message);
        Assert.Equal(2_500L, await env.ScalarAsync<long>("select count(*) from public.payments"));
    }

    private static (string Path, PaymentsCsv.Summary Summary) WriteCompressedPayments(TestEnvironment env, string name, long rows, int seed)
    {
        var csv = Path.Combine(env.Home, name + ".plain");
        var summary = PaymentsCsv.Write(csv, rows, seed);
        return (GzipFiles.CompressFile(csv, Path.Combine(env.Home, name)), summary);
    }
}
