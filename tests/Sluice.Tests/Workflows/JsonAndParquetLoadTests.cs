using Sluice.Formats;
using Sluice.Samples;
using Sluice.Stages.Conversion;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Workflows;

/// <summary>The Loader reading JSON Lines and Parquet files (<c>source.format</c>), typed by the formats' own readers.</summary>
public sealed class JsonAndParquetLoadTests
{
    private const string EventsPipeline = """
        name: events
        on: { bucket: inbox, match: "events/*.jsonl*" }
        source: { format: jsonl }
        schema:
          id: bigint not null
          amount: numeric(14,2)
          booked_at: timestamp
          tags: jsonb
          note: text
        target: { table: public.events }
        rejects: { max_rows: 5 }
        """;

    [Fact]
    public async Task A_json_lines_file_loads_exact_values_skipping_other_keys_and_rejecting_bad_lines_by_number()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("events.yaml", EventsPipeline);
        env.StartHost();
        env.Drop("inbox", "events/e.jsonl", """
            {"id": 1, "amount": 18071.13, "booked_at": "2026-01-31 12:00:00", "tags": {"a": [1, 2]}, "note": "first", "extra": true}
            {"id": 2, "amount": "0.10", "booked_at": null, "tags": [], "note": ""}
            this is not json
            {"id": 3, "note": "no amount, \u00e9t\u00e9", "other": {"deep": 1}}
            {"id": 4, "amount": 1.005}
            {"amount": 5}

            """);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.True(job.Status == "succeeded", job.Error?.Message);
        Assert.Equal((6L, 3L, 3L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected));
        Assert.Equal("18071.23", await env.ScalarAsync<string>("select sum(amount)::text from public.events"));
        Assert.Equal("2", await env.ScalarAsync<string>("select tags->'a'->>1 from public.events where id = 1"));
        Assert.Equal("", await env.ScalarAsync<string>("select note from public.events where id = 2"));
        Assert.Equal("no amount, été", await env.ScalarAsync<string>("select note from public.events where id = 3 and amount is null"));
        var transform = Assert.Single(job.Stages, s => s.Name == "transform").Outputs!;
        Assert.Equal("Keys outside the schema were skipped: 'extra' (first on line 1), 'other' (first on line 4).", (string?)transform["warnings"]![0]);
        var rejects = await File.ReadAllLinesAsync(Path.Combine(job.Workspace, "transform", "rejects.csv"));
        Assert.Equal(4, rejects.Length);
        Assert.StartsWith("3,,invalid JSON", rejects[1], StringComparison.Ordinal);
        Assert.StartsWith("5,amount,", rejects[2], StringComparison.Ordinal);
        Assert.StartsWith("6,id,null in not-null column 'id'", rejects[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_column_type_goes_from_json_lines_to_its_exact_postgresql_value()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("types.yaml", """
            name: types
            on: { bucket: inbox, match: "types/*.jsonl" }
            source: { format: jsonl }
            schema:
              s: smallint
              i: int
              b: bigint
              n: numeric(38,10)
              r: real
              d: double precision
              ok: boolean
              day: date
              ts: timestamp
              tz: timestamptz
              u: uuid
              j: json
              jb: jsonb
              t: text
              v: varchar(5)
              c: char(3)
            target: { table: public.types }
            """);
        env.StartHost();
        env.Drop("inbox", "types/t.jsonl", """
            {"s": -32768, "i": 2147483647, "b": -9223372036854775808, "n": 9999999999999999999999999999.9999999999, "r": 1.5, "d": -0.1, "ok": false, "day": "2026-02-28", "ts": "2026-01-31 12:00:00.123456", "tz": "2026-01-31T12:00:00.654321+02:00", "u": "0b5f4e9a-3c1d-4c8e-9a55-2f4f6b1c7d10", "j": {"a": [1, {"b": null}]}, "jb": [1, "x"], "t": "tab\tand \"quotes\"", "v": "abcde", "c": "EUR"}

            """);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.True(job.Status == "succeeded", job.Error?.Message);
        Assert.Equal(
            "-32768|2147483647|-9223372036854775808|9999999999999999999999999999.9999999999|1.5|-0.1|f|2026-02-28|2026-01-31 12:00:00.123456|" +
            "2026-01-31 10:00:00.654321+00|0b5f4e9a-3c1d-4c8e-9a55-2f4f6b1c7d10|{\"a\": [1, {\"b\": null}]}|[1, \"x\"]|tab\tand \"quotes\"|abcde|EUR",
            await env.ScalarAsync<string>("""
                set timezone = 'UTC';
                select concat_ws('|', s, i, b, n, r, d, ok, day, ts, tz, u, j::text, jb::text, t, v, c) from public.types
                """));
    }

    [Fact]
    public async Task A_json_lines_file_without_a_schema_gets_a_table_of_the_inferred_types()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("events.yaml", """
            name: events
            on: { bucket: inbox, match: "events/*.jsonl" }
            source: { format: jsonl }
            target: { table: public.inferred }
            """);
        env.StartHost();
        env.Drop("inbox", "events/i.jsonl", """
            {"id": 1, "amount": 12.50, "at": "2026-11-29T10:00:00Z", "ok": true, "payload": {"k": "v"}}
            {"id": 2, "amount": 0.25, "at": "2026-11-30T10:00:00Z", "ok": false, "payload": null}

            """);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.True(job.Status == "succeeded", job.Error?.Message);
        Assert.Equal("12.75", await env.ScalarAsync<string>("select sum(amount)::text from public.inferred"));
        Assert.Equal("bigint,numeric,timestamp with time zone,boolean,json", await env.ScalarAsync<string>(
            "select string_agg(data_type, ',' order by ordinal_position) from information_schema.columns " +
            "where table_name = 'inferred' and column_name <> '_sluice_job_id'"));
        Assert.Equal("v", await env.ScalarAsync<string>("select payload->>'k' from public.inferred where id = 1"));
    }

    [Fact]
    public async Task A_parquet_file_loads_every_row_with_its_decimals_exact_into_a_table_of_its_own_types()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml().Replace("\"payments/*.csv\"", "\"payments/*.parquet\"", StringComparison.Ordinal)
            .Replace("source: { format: csv }", "source: { format: parquet }", StringComparison.Ordinal)
            .Replace(PaymentsCsv.PipelineSchema, "", StringComparison.Ordinal));
        var (parquet, summary) = await WritePaymentsParquetAsync(env, 20_000, seed: 31);
        env.StartHost();
        env.DropCopy("payments/p.parquet", parquet);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.True(job.Status == "succeeded", job.Error?.Message);
        Assert.Equal((20_000L, 20_000L, 0L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected));
        Assert.Equal(PaymentsCsv.FormatCents(summary.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));
        Assert.Equal(20_000L, await env.ScalarAsync<long>("select count(distinct transaction_id) from public.payments"));
        Assert.Equal("numeric(14,2)", await env.ScalarAsync<string>(
            "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'public.payments'::regclass and attname = 'amount'"));
    }

    [Fact]
    public async Task A_declared_schema_picks_parquet_columns_by_name_in_its_own_order_and_a_missing_one_is_named()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("picked.yaml", """
            name: picked
            on: { bucket: inbox, match: "picked/*.parquet" }
            source: { format: parquet }
            schema:
              amount: numeric(14,2) not null
              transaction_id: bigint
            target: { table: public.picked }
            """);
        env.WritePipeline("missing.yaml", """
            name: missing
            on: { bucket: inbox, match: "missing/*.parquet" }
            source: { format: parquet }
            schema:
              transaction_id: bigint
              fee: numeric(14,2)
            target: { table: public.missing }
            """);
        var (parquet, summary) = await WritePaymentsParquetAsync(env, 3_000, seed: 32);
        env.StartHost();
        foreach (var key in new[] { "picked/p.parquet", "missing/p.parquet" }) env.DropCopy(key, parquet);

        var jobs = await env.WaitForJobsAsync(2);

        var picked = Assert.Single(jobs, j => j.Pipeline == "picked");
        Assert.True(picked.Status == "succeeded", picked.Error?.Message);
        Assert.Equal("amount,transaction_id,_sluice_job_id", await env.ScalarAsync<string>(
            "select string_agg(column_name, ',' order by ordinal_position) from information_schema.columns where table_name = 'picked'"));
        Assert.Equal(PaymentsCsv.FormatCents(summary.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.picked"));
        var missing = Assert.Single(jobs, j => j.Pipeline == "missing");
        Assert.Equal(("failed", "parquet.schema_mismatch"), (missing.Status, missing.Error?.Code));
        Assert.Contains("inbox/missing/p.parquet: the schema's column 'fee' is not in the file, whose columns are transaction_id, account_id,",
            missing.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_parquet_file_given_to_a_csv_pipeline_fails_saying_what_it_is_and_which_format_reads_it()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var (parquet, _) = await WritePaymentsParquetAsync(env, 100, seed: 33);
        env.StartHost();
        env.DropCopy("payments/really-parquet.csv", parquet);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal(("failed", "csv.not_csv"), (job.Status, job.Error?.Code));
        Assert.StartsWith("inbox/payments/really-parquet.csv: the file is a Parquet file (it starts with PAR1), not CSV; read it as parquet",
            job.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejected_json_lines_are_listed_in_line_order_whichever_step_refused_them()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("notes.yaml", """
            name: notes
            on: { bucket: inbox, match: "notes/*.jsonl" }
            source: { format: jsonl }
            schema:
              id: bigint not null
              note: text
            target: { table: public.notes }
            rejects: { max_rows: 10 }
            """);
        env.StartHost();
        env.Drop("inbox", "notes/n.jsonl", """
            {"id": 1, "note": "a\u0000b"}
            {"id": 2, "note": "fine"}
            not json
            {"id": 4, "note": "x\u0000"}
            {"id": "five"}

            """);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.True(job.Status == "succeeded", job.Error?.Message);
        Assert.Equal((5L, 1L, 4L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected));
        var lines = (await File.ReadAllLinesAsync(Path.Combine(job.Workspace, "transform", "rejects.csv"))).Skip(1).Select(l => l.Split(',')[0]);
        Assert.Equal(["1", "3", "4", "5"], lines);
    }

    /// <summary>A generated payments file of <paramref name="rows"/> rows, written as Parquet by Sluice's own converter.</summary>
    private static async Task<(string Path, PaymentsCsv.Summary Summary)> WritePaymentsParquetAsync(TestEnvironment env, long rows, int seed)
    {
        var csv = Path.Combine(env.Home, $"payments-{seed}.csv");
        var summary = PaymentsCsv.Write(csv, rows, seed);
        var parquet = Path.Combine(env.Home, $"payments-{seed}.parquet");
        var schema = Sluice.Pipelines.PipelineLoader.Parse(PaymentsPipeline.Yaml(), "schema.yaml").Schema;
        await FileConverter.ConvertAsync(csv, new FileFormatOptions { Format = DataFormat.Csv, Schema = schema }, parquet,
            new FileFormatOptions { Format = DataFormat.Parquet }, Path.Combine(env.Home, $"payments-{seed}.rejects.csv"), null, CancellationToken.None);
        return (parquet, summary);
    }
}
