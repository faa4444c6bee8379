using System.Text.Json.Nodes;
using Sluice.Control;
using Sluice.Formats;
using Sluice.Samples;
using Sluice.Stages.Conversion;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Conversion; // not .Convert: that would hide System.Convert in the test namespaces

public sealed class ConvertWorkflowTests
{
    private const string Pipeline = """
        name: payments-to-parquet
        on: { bucket: inbox, match: "exports/*.csv" }
        workflow: convert
        source: { format: csv }
        target: { format: parquet, bucket: processed, compression: zstd }
        """;

    [Fact]
    public async Task A_convert_job_in_serve_publishes_parquet_and_a_passed_validation_report()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("convert.yaml", Pipeline);
        var file = Path.Combine(env.Home, "p.csv");
        PaymentsCsv.Write(file, 3_000, seed: 11);
        env.StartHost();
        env.Drop("inbox", "exports/p.csv", File.ReadAllText(file));

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("succeeded", job.Status);
        Assert.Equal(["receive", "download", "convert", "validate", "publish"], job.Stages.Select(s => s.Name));
        Assert.Equal((3_000L, 3_000L, 0L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected));
        var published = Path.Combine(env.Settings.BucketsRoot, "processed", "payments-to-parquet", job.Id.ToString());
        Assert.True(File.Exists(Path.Combine(published, "p.parquet")));
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(published, "validation.json")))!;
        Assert.Equal("passed", (string?)report["status"]);
        Assert.Equal(3_000, (long)report["source_rows"]!);
        Assert.Contains(report["columns"]!.AsArray(), c => (string?)c!["name"] == "amount" && (string?)c["type"] == "numeric(18,2)");
        Assert.True(File.Exists(Path.Combine(published, "report.json")));
    }

    [Fact]
    public async Task A_tsv_source_with_no_other_dialect_key_has_its_header_detected_so_a_headerless_file_keeps_its_first_row()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("convert.yaml", Pipeline.Replace("format: csv", "format: tsv").Replace("exports/*.csv", "exports/*.tsv"));
        env.StartHost();
        // Commas in the text: the tab must stay the delimiter, whatever splits lines more evenly.
        env.Drop("inbox", "exports/plain.tsv", "1\talice, a\t2.50\n2\tbob, b\t3.50\n3\tcarol, c\t4.00\n");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("succeeded", job.Status);
        Assert.Equal((3L, 3L, 0L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected));
        var convert = job.Stages.Single(s => s.Name == "convert");
        Assert.Equal("delimiter tab, header False, utf-8", (string?)convert.Outputs!["dialect"]);
    }

    [Fact]
    public async Task A_ragged_row_fails_the_convert_job_naming_its_line_and_publishes_the_rejects()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("convert.yaml", Pipeline);
        env.StartHost();
        env.Drop("inbox", "exports/bad.csv", "id,amount\n1,2.50\n2,3.50,extra\n3,4.00\n");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("failed", job.Status);
        Assert.Contains("line 3", job.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("expected 2 fields, found 3", job.Error!.Message, StringComparison.Ordinal);
        Assert.Equal((3L, 2L, 1L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected));
        var published = Path.Combine(env.Settings.BucketsRoot, "processed", "payments-to-parquet", job.Id.ToString());
        Assert.True(File.Exists(Path.Combine(published, "rejects.csv")));
        Assert.False(File.Exists(Path.Combine(published, "bad.parquet")));
    }

    [Fact]
    public async Task A_convert_job_whose_object_changed_names_replay_from_convert_and_that_replay_runs_after_the_pipeline_is_fixed()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("convert.yaml", Pipeline);
        env.StartHost();
        env.Drop("inbox", "exports/bad.csv", "id,amount\n1,2.50\n2,3.50,extra\n");
        var failed = Assert.Single(await env.WaitForJobsAsync(1));
        // The fixed file is a new object content (a job of its own); the failed job's copy is still the ragged one.
        await File.WriteAllTextAsync(Path.Combine(env.Settings.BucketsRoot, "inbox", "exports", "bad.csv"), "id,amount\n1,2.50\n2,3.50\n");
        var replay = new JobReplay(env.ControlPlane);

        await replay.ReplayAsync(failed.Id, "download", "fetch the fixed file", "test", CancellationToken.None);
        var changed = await env.WaitForJobAsync(failed.Id);
        env.WritePipeline("convert.yaml", Pipeline + "\nrejects: { max_rows: 1 }\n");
        await replay.ReplayAsync(failed.Id, "convert", "one ragged row is fine", "test", CancellationToken.None);
        var replayed = await env.WaitForJobAsync(failed.Id);

        Assert.Equal(("failed", "source.changed"), (changed.Status, changed.Error?.Code));
        Assert.Contains($"replay from convert (./sluice replay {failed.Id} --from convert)", changed.Error!.Message, StringComparison.Ordinal);
        Assert.Equal("succeeded", replayed.Status);
        Assert.Equal((2L, 1L, 1L), (replayed.Counts.Read, replayed.Counts.Loaded, replayed.Counts.Rejected));
    }

    [Fact]
    public async Task A_source_named_rejects_converted_to_csv_does_not_take_the_place_of_rejects_csv()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("convert.yaml", """
            name: jsonl-to-csv
            on: { bucket: inbox, match: "exports/*.jsonl" }
            workflow: convert
            source: { format: jsonl }
            target: { format: csv, bucket: processed }
            schema: { id: bigint, a: text }
            rejects: { max_rows: 5 }
            """);
        env.StartHost();
        env.Drop("inbox", "exports/rejects.jsonl", "{\"id\":1,\"a\":\"x\"}\n{\"id\":2,\"a\":\"y\",\"extra\":1}\n");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("succeeded", job.Status);
        Assert.Equal((2L, 1L, 1L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected));
        var published = Path.Combine(env.Settings.BucketsRoot, "processed", "jsonl-to-csv", job.Id.ToString());
        Assert.Equal("id,a\n1,x\n", await File.ReadAllTextAsync(Path.Combine(published, "rejects.converted.csv")));
        var rejects = await File.ReadAllTextAsync(Path.Combine(published, "rejects.csv"));
        Assert.StartsWith("line,column,reason,raw\n2,", rejects, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_parquet_file_fails_the_convert_job_with_parquet_corrupt_naming_the_file()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("convert.yaml", """
            name: parquet-to-csv
            on: { bucket: inbox, match: "exports/*.parquet" }
            workflow: convert
            source: { format: parquet }
            target: { format: csv, bucket: processed }
            """);
        var csv = Path.Combine(env.Home, "p.csv");
        PaymentsCsv.Write(csv, 100, seed: 4);
        var parquet = Path.Combine(env.Home, "damaged.parquet");
        await FileConverter.ConvertAsync(csv, new FileFormatOptions { Format = DataFormat.Csv },
            parquet, new FileFormatOptions { Format = DataFormat.Parquet }, Path.Combine(env.Home, "rejects.csv"), null, CancellationToken.None);
        // The first page's zstd frame loses its header: the footer still reads, the data does not.
        var bytes = await File.ReadAllBytesAsync(parquet);
        var frame = bytes.AsSpan().IndexOf([(byte)0x28, (byte)0xB5, (byte)0x2F, (byte)0xFD]);
        Assert.True(frame > 0, "no zstd frame in the file");
        for (var i = frame + 4; i < frame + 12; i++) bytes[i] ^= 0xFF;
        await File.WriteAllBytesAsync(parquet, bytes);
        env.StartHost();
        var key = Path.Combine(env.Settings.BucketsRoot, "inbox", "exports", "damaged.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(key)!);
        File.Move(parquet, key);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("failed", job.Status);
        Assert.Equal("parquet.corrupt", job.Error!.Code);
        Assert.StartsWith("damaged.parquet: the Parquet file is damaged: row group 1 of 1 cannot be decoded", job.Error.Message, StringComparison.Ordinal);
    }
}
