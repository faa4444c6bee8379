using System.Text.Json.Nodes;
using Sluice.Formats;
using Sluice.Pipelines;
using Sluice.Stages.Conversion;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Conversion; // not .Convert: that would hide System.Convert in the test namespaces

/// <summary>A convert job writes a CSV target in the target's dialect, whatever the source's, and validates it read back
/// in that dialect.</summary>
public sealed class ConvertTargetDialectWorkflowTests
{
    // Quotes, the target's delimiter inside a value, a tab, an empty string ("") beside a null (nothing), exact decimals.
    private const string Tsv = "id\tamount\tnote\n" +
                               "1\t18071.13\tcomma, inside\n" +
                               "2\t-0.01\t\"quote \"\" inside\"\n" +
                               "3\t\t\"\"\n" +
                               "4\t999999999999.99\t\n" +
                               "5\t0.1\t\"tab\tinside; semicolon\"\n";

    private const string Schema = "schema: { id: bigint, amount: \"numeric(14,2)\", note: text }";

    [Fact]
    public async Task A_tsv_source_converted_to_csv_is_written_with_commas_and_validates()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("convert.yaml", $$"""
            name: tsv-to-csv
            on: { bucket: inbox, match: "exports/*.tsv" }
            workflow: convert
            source: { format: tsv }
            target: { format: csv }
            {{Schema}}
            """);
        env.StartHost();
        env.Drop("inbox", "exports/p.tsv", Tsv);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("succeeded", job.Status);
        Assert.Equal(["receive", "download", "convert", "validate", "publish"], job.Stages.Select(s => s.Name));
        var published = Published(env, "tsv-to-csv", job.Id);
        Assert.Equal("id,amount,note\n" +
                     "1,18071.13,\"comma, inside\"\n" +
                     "2,-0.01,\"quote \"\" inside\"\n" +
                     "3,,\"\"\n" +
                     "4,999999999999.99,\n" +
                     "5,0.10,tab\tinside; semicolon\n", await File.ReadAllTextAsync(Path.Combine(published, "p.csv")));
        Assert.Equal((5L, "passed"), await ValidationAsync(published));
        var convert = job.Stages.Single(s => s.Name == "convert");
        Assert.Equal(("delimiter tab, header True, utf-8", "delimiter ,, header True, utf-8"),
            ((string?)convert.Outputs!["dialect"], (string?)convert.Outputs["target_dialect"]));
    }

    [Fact]
    public async Task A_parquet_source_converted_to_a_semicolon_csv_without_header_writes_the_null_text_and_validates()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("convert.yaml", """
            name: parquet-to-csv
            on: { bucket: inbox, match: "exports/*.parquet" }
            workflow: convert
            source: { format: parquet }
            target: { format: csv, delimiter: ";", header: false, null: NULL }
            """);
        var parquet = await ParquetFromTsvAsync(env);
        env.StartHost();
        env.DropCopy("exports/p.parquet", parquet);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("succeeded", job.Status);
        var published = Published(env, "parquet-to-csv", job.Id);
        Assert.Equal("1;18071.13;comma, inside\n" +
                     "2;-0.01;\"quote \"\" inside\"\n" +
                     "3;NULL;\"\"\n" +
                     "4;999999999999.99;NULL\n" +
                     "5;0.10;\"tab\tinside; semicolon\"\n", await File.ReadAllTextAsync(Path.Combine(published, "p.csv")));
        Assert.Equal((5L, "passed"), await ValidationAsync(published));
    }

    [Fact]
    public async Task A_jsonl_source_converted_to_format_tsv_is_a_tab_separated_tsv_file_that_validates()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("convert.yaml", $$"""
            name: jsonl-to-tsv
            on: { bucket: inbox, match: "exports/*.jsonl" }
            workflow: convert
            source: { format: jsonl }
            target: { format: tsv }
            {{Schema}}
            """);
        env.StartHost();
        env.Drop("inbox", "exports/p.jsonl",
            "{\"id\": 1, \"amount\": 18071.13, \"note\": \"a, b\"}\n{\"id\": 2, \"amount\": null, \"note\": \"\"}\n{\"id\": 3, \"amount\": 0.5, \"note\": \"tab\\there\"}\n{\"id\": 4}\n");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("succeeded", job.Status);
        var published = Published(env, "jsonl-to-tsv", job.Id);
        Assert.False(File.Exists(Path.Combine(published, "p.csv")));
        Assert.Equal("id\tamount\tnote\n1\t18071.13\ta, b\n2\t\t\"\"\n3\t0.50\t\"tab\there\"\n4\t\t\n",
            await File.ReadAllTextAsync(Path.Combine(published, "p.tsv")));
        Assert.Equal((4L, "passed"), await ValidationAsync(published));
    }

    private static async Task<string> ParquetFromTsvAsync(TestEnvironment env)
    {
        var tsv = Path.Combine(env.Home, "p.tsv");
        await File.WriteAllTextAsync(tsv, Tsv);
        var parquet = Path.Combine(env.Home, "p.parquet");
        ColumnDefinition[] schema =
            [new("id", ColumnType.BigInt), new("amount", new ColumnType(ColumnKind.Numeric, Precision: 14, Scale: 2)), new("note", ColumnType.Text)];
        await FileConverter.ConvertAsync(tsv, new FileFormatOptions { Format = DataFormat.Csv, Csv = CsvOptions.Tab, Schema = schema },
            parquet, new FileFormatOptions { Format = DataFormat.Parquet }, Path.Combine(env.Home, "rejects.csv"), null, CancellationToken.None);
        return parquet;
    }

    private static string Published(TestEnvironment env, string pipeline, Guid job) =>
        Path.Combine(env.Settings.BucketsRoot, "processed", pipeline, job.ToString());

    private static async Task<(long Rows, string? Status)> ValidationAsync(string published)
    {
        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(published, "validation.json")))!;
        return ((long)report["source_rows"]!, (string?)report["status"]);
    }
}
