using System.Text.Json.Nodes;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Workflows;

/// <summary>Files whose values are written the way their senders write them (<c>02.12.2026</c>, <c>1.234,56</c>), read
/// through the formats a pipeline's schema declares: loaded and converted exactly, and a value in another form rejected.</summary>
public sealed class FormattedValuesTests
{
    private const string Schema = """
        schema:
          id: bigint not null
          booked_on: { type: date, format: dd.MM.yyyy }
          booked_at: { type: timestamp, format: "dd.MM.yyyy HH:mm" }
          amount: { type: "numeric(14,2)", decimal: ",", group: "." }
        """;

    private const string European = """
        id;booked_on;booked_at;amount
        1;02.12.2026;02.12.2026 09:30;1.234.567,89
        2;29.02.2024;29.02.2024 23:59;-0,01
        3;12/02/2026;02.12.2026 09:30;5,00
        4;31.12.1999;31.12.1999 00:00;18071,13
        5;01.01.2000;01.01.2000 12:00;1,234.5
        """;

    [Fact]
    public async Task A_semicolon_csv_and_a_jsonl_file_with_european_dates_and_amounts_load_exactly_and_other_forms_are_rejected()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("eu.yaml", $$"""
            name: eu
            on: { bucket: inbox, match: "eu/*.csv" }
            source: { delimiter: ";" }
            {{Schema}}
            target: { table: public.eu }
            rejects: { max_rows: 5 }
            """);
        env.WritePipeline("eu-json.yaml", $$"""
            name: eu-json
            on: { bucket: inbox, match: "eu/*.jsonl" }
            source: { format: jsonl }
            {{Schema}}
            target: { table: public.eu_json }
            """);
        env.StartHost();
        env.Drop("inbox", "eu/payments.csv", European + "\n");
        env.Drop("inbox", "eu/payments.jsonl",
            "{\"id\": 1, \"booked_on\": \"02.12.2026\", \"booked_at\": \"02.12.2026 09:30\", \"amount\": \"1.234,50\"}\n" +
            "{\"id\": 2, \"booked_on\": \"03.12.2026\", \"booked_at\": null, \"amount\": 12.25}\n");

        var jobs = await env.WaitForJobsAsync(2);

        var csv = Assert.Single(jobs, j => j.Source.Key == "eu/payments.csv");
        Assert.Equal("succeeded", csv.Status);
        Assert.Equal((5L, 3L, 2L), (csv.Counts.Read, csv.Counts.Loaded, csv.Counts.Rejected));
        Assert.Equal("1252639.01", await env.ScalarAsync<string>("select sum(amount)::text from public.eu"));
        Assert.Equal("1|2026-12-02|2026-12-02 09:30:00|1234567.89;2|2024-02-29|2024-02-29 23:59:00|-0.01;4|1999-12-31|1999-12-31 00:00:00|18071.13",
            await env.ScalarAsync<string>("select string_agg(concat_ws('|', id, booked_on, booked_at, amount), ';' order by id) from public.eu"));
        var rejects = await File.ReadAllLinesAsync(Path.Combine(csv.Workspace, "transform", "rejects.csv"));
        Assert.StartsWith("4,booked_on,'12/02/2026' is not a date written as dd.MM.yyyy,", rejects[1], StringComparison.Ordinal);
        Assert.StartsWith("6,amount,\"'1,234.5' is not a number written with ',' before the decimals and '.' between thousands\",", rejects[2], StringComparison.Ordinal);
        var json = Assert.Single(jobs, j => j.Source.Key == "eu/payments.jsonl");
        Assert.Equal(("succeeded", 2L), (json.Status, json.Counts.Loaded));
        // A JSON number already has its type: 12.25 is read as written, not through the declared separators.
        Assert.Equal("1|2026-12-02|2026-12-02 09:30:00|1234.50;2|2026-12-03||12.25",
            await env.ScalarAsync<string>("select string_agg(concat_ws('|', id, booked_on, coalesce(booked_at::text, ''), amount), ';' order by id) from public.eu_json"));
    }

    [Fact]
    public async Task A_european_csv_converts_to_parquet_with_iso_values_and_its_validation_reads_the_source_through_the_same_formats()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("eu.yaml", $$"""
            name: eu-to-parquet
            on: { bucket: inbox, match: "eu/*.csv" }
            workflow: convert
            source: { delimiter: ";" }
            {{Schema}}
            target: { format: parquet }
            rejects: { max_rows: 5 }
            """);
        env.StartHost();
        env.Drop("inbox", "eu/payments.csv", European + "\n");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("succeeded", job.Status);
        Assert.Equal((5L, 3L, 2L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected));
        var published = Path.Combine(env.Settings.BucketsRoot, "processed", "eu-to-parquet", job.Id.ToString());
        var report = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(published, "validation.json")))!;
        Assert.Equal(("passed", 3L), ((string?)report["status"], (long)report["source_rows"]!));
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(job.Workspace, "convert", "convert.json")))!;
        var amount = manifest["columns"]!.AsArray().Single(c => (string?)c!["name"] == "amount")!;
        Assert.Equal((",", "."), ((string?)amount["decimal"], (string?)amount["group"]));
        var parquet = Path.Combine(published, "payments.parquet");
        Assert.Equal(["1|2026-12-02|2026-12-02 09:30:00|1234567.89", "2|2024-02-29|2024-02-29 23:59:00|-0.01", "4|1999-12-31|1999-12-31 00:00:00|18071.13"],
            await DuckDb.QueryAsync($"select concat_ws('|', id, booked_on, strftime(booked_at, '%Y-%m-%d %H:%M:%S'), amount) from '{parquet}' order by id"));
    }
}
