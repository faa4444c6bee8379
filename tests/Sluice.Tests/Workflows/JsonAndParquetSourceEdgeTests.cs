using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Workflows;

/// <summary>JSON Lines and Parquet sources at their edges: files other tools write, names a table cannot take,
/// tables that differ from the file.</summary>
public sealed class JsonAndParquetSourceEdgeTests
{
    private static string ParquetPipeline(string table, string extra = "") => $"""
        name: facts
        on: {"{"} bucket: inbox, match: "facts/*.parquet" {"}"}
        source: {"{"} format: parquet {"}"}
        target: {"{"} table: {table} {"}"}
        {extra}
        """;

    private static string EventsPipeline(string extra = "", string match = "events/*.jsonl") => $"""
        name: events
        on: {"{"} bucket: inbox, match: "{match}" {"}"}
        source: {"{"} format: jsonl {"}"}
        target: {"{"} table: public.events {"}"}
        {extra}
        """;

    /// <summary>Writes the rows of <paramref name="select"/> as a Parquet file with DuckDB and renames it into the inbox.</summary>
    private static async Task DropParquetAsync(TestEnvironment env, string key, string select, string options = "")
    {
        var written = Path.Combine(env.Home, Guid.NewGuid().ToString("N") + ".parquet");
        await DuckDb.QueryAsync($"COPY ({select}) TO '{written}' (FORMAT parquet{options})");
        var path = Path.Combine(env.Settings.BucketsRoot, "inbox", key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Move(written, path);
    }

    [Fact]
    public async Task A_parquet_file_in_one_large_row_group_loads_every_row_through_a_re_cut_copy_that_leaves_nothing_behind()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("facts.yaml", ParquetPipeline("public.facts"));
        env.StartHost();
        await DropParquetAsync(env, "facts/big.parquet",
            "SELECT i::BIGINT AS id, ((i % 100000)::DECIMAL(14,2) / 100)::DECIMAL(14,2) AS amount, 'row ' || i AS note FROM range(400000) t(i)",
            ", ROW_GROUP_SIZE 1000000");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("succeeded", job.Status);
        Assert.Equal((400_000L, 400_000L), (job.Counts.Read, job.Counts.Loaded));
        // Each of the 100,000 amounts 0.00 to 999.99 four times: exact, in numeric(14,2).
        Assert.Equal("199998000.00", await env.ScalarAsync<string>("select sum(amount)::text from public.facts"));
        Assert.Equal("row 399999", await env.ScalarAsync<string>("select note from public.facts where id = 399999"));
        Assert.Equal("numeric(14,2)", await env.ScalarAsync<string>("select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'public.facts'::regclass and attname = 'amount'"));
        Assert.Equal("1 row group(s) of up to 400,000 rows, too large to decode whole, were re-cut through DuckDB: read as 13 row groups",
            await env.ScalarAsync<string>("select message from sluice.job_logs where message like '%re-cut%'"));
        Assert.Empty(Directory.EnumerateFiles(env.Settings.WorkspaceRoot, "*regroup*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_parquet_time_of_day_column_is_refused_by_name_instead_of_loading_as_a_number()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("facts.yaml", ParquetPipeline("public.facts"));
        env.StartHost();
        await DropParquetAsync(env, "facts/t.parquet", "SELECT 1::BIGINT AS id, TIME '12:34:56.123456' AS opens_at");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal("failed", job.Status);
        Assert.Equal("parquet.unsupported_column", job.Error?.Code);
        Assert.Contains("inbox/facts/t.parquet: column 'opens_at' is a time of day (Parquet TIME)", job.Error?.Message, StringComparison.Ordinal);
        Assert.Contains("CAST(col AS VARCHAR)", job.Error?.Message, StringComparison.Ordinal);
        Assert.True(await env.ScalarAsync<bool>("select to_regclass('public.facts') is null"));
    }

    [Theory]
    [InlineData("\"\"", "name must not be empty")]
    [InlineData("\"a\\u0000b\"", "must not contain a NUL character")]
    [InlineData("\"a_key_longer_than_sixty_three_bytes_which_postgresql_would_truncate_silently\"", "is 76 bytes in UTF-8")]
    [InlineData("\"_sluice_job_id\"", "names starting with '_sluice' are Sluice's own")]
    public async Task A_json_key_that_cannot_name_a_column_fails_the_file_by_name_before_a_table_is_created(string key, string reason)
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("events.yaml", EventsPipeline());
        env.StartHost();
        env.Drop("inbox", "events/k.jsonl", $"{{\"id\": 1, {key}: 2}}\n");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal(("failed", "jsonl.key_name"), (job.Status, job.Error?.Code));
        Assert.StartsWith("inbox/events/k.jsonl: a key of the file cannot name a column: ", job.Error?.Message, StringComparison.Ordinal);
        Assert.Contains(reason, job.Error?.Message, StringComparison.Ordinal);
        Assert.Contains("declare a schema of the columns to load (keys outside it are skipped)", job.Error?.Message, StringComparison.Ordinal);
        Assert.True(await env.ScalarAsync<bool>("select to_regclass('public.events') is null"));
    }

    [Fact]
    public async Task A_parquet_schema_names_the_columns_to_load_so_a_table_without_the_others_takes_the_file()
    {
        await using var env = await TestEnvironment.CreateAsync();
        await env.ExecuteAsync("create table public.facts (id bigint primary key, note text, _sluice_job_id uuid)");
        env.WritePipeline("facts.yaml", ParquetPipeline("public.facts", """
            schema:
              note: text
              id: bigint not null
            """));
        env.StartHost();
        await DropParquetAsync(env, "facts/f.parquet", """
            SELECT i::BIGINT AS id, (i * 1.25)::DECIMAL(14,2) AS amount, TIME '08:00:00' AS opens_at, 'n' || i AS note
            FROM range(1, 4) t(i)
            """);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.True(job.Status == "succeeded", job.Error?.Message);
        Assert.Equal((3L, 3L, 0L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected));
        Assert.Equal("1=n1,2=n2,3=n3", await env.ScalarAsync<string>("select string_agg(id || '=' || note, ',' order by id) from public.facts"));
        var transform = Assert.Single(job.Stages, s => s.Name == "transform").Outputs!;
        Assert.Equal("Columns of the file outside the schema were skipped: 'amount', 'opens_at'.", (string?)transform["warnings"]![0]);
    }

    [Fact]
    public async Task A_parquet_schema_column_the_file_lacks_fails_the_file_naming_it_and_the_files_columns()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("facts.yaml", ParquetPipeline("public.facts", """
            schema:
              id: bigint
              Note: text
            """));
        env.StartHost();
        await DropParquetAsync(env, "facts/f.parquet", "SELECT 1::BIGINT AS id, 'x' AS note");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal(("failed", "parquet.schema_mismatch"), (job.Status, job.Error?.Code));
        Assert.Equal("inbox/facts/f.parquet: the schema's column 'Note' is not in the file, whose columns are id, note; " +
                     "declare only columns the file has (names match exactly, case included).", job.Error?.Message);
    }

    [Theory]
    [InlineData("jsonl", "{\"id\": 1, \"v\": \"a\"}\n{\"v\": \"no key\"}\n{\"id\": 3, \"v\": \"c\"}\n", "2,id,null in not-null column 'id'")]
    [InlineData("csv", "id,v\n1,a\n,no key\n3,c\n", "3,id,")]
    public async Task A_row_without_its_upsert_key_is_rejected_by_line_when_the_schema_is_inferred(string format, string content, string reject)
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("keyed.yaml", $$"""
            name: keyed
            on: { bucket: inbox, match: "keyed/*.{{format}}" }
            source: { format: {{format}} }
            target: { table: public.keyed, mode: upsert, key: [id] }
            rejects: { max_rows: 1 }
            """);
        env.StartHost();
        env.Drop("inbox", $"keyed/k.{format}", content);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.True(job.Status == "succeeded", job.Error?.Message);
        Assert.Equal((3L, 2L, 1L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected));
        Assert.Equal("1=a,3=c", await env.ScalarAsync<string>("select string_agg(id || '=' || v, ',' order by id) from public.keyed"));
        var rejects = await File.ReadAllLinesAsync(Path.Combine(job.Workspace, "transform", "rejects.csv"));
        Assert.StartsWith(reject, rejects[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parquet_instants_are_refused_by_a_timestamp_column_without_time_zone_rather_than_loaded_as_utc_clock_times()
    {
        await using var env = await TestEnvironment.CreateAsync();
        await env.ExecuteAsync("create table public.facts (id bigint, at timestamp, _sluice_job_id uuid)");
        env.WritePipeline("facts.yaml", ParquetPipeline("public.facts"));
        env.StartHost();
        await DropParquetAsync(env, "facts/z.parquet",
            "SELECT 1::BIGINT AS id, NULL::TIMESTAMPTZ AS at UNION ALL SELECT 2, TIMESTAMPTZ '2026-01-31 12:00:00+02'");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal(("failed", "parquet.schema_mismatch"), (job.Status, job.Error?.Code));
        Assert.StartsWith("inbox/facts/z.parquet: row 2, column 'at': the file holds instants (timestamp with time zone)", job.Error?.Message, StringComparison.Ordinal);
        Assert.Contains("load the column as timestamptz", job.Error?.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from public.facts"));
    }

    [Fact]
    public async Task A_json_number_past_the_range_of_a_floating_point_column_is_rejected_as_in_a_csv_not_stored_as_infinity_or_zero()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("floats.yaml", """
            name: floats
            on: { bucket: inbox, match: "floats/*.jsonl" }
            source: { format: jsonl }
            schema: { id: int, d: double precision, r: real }
            target: { table: public.floats }
            rejects: { max_rows: 3 }
            """);
        env.StartHost();
        env.Drop("inbox", "floats/f.jsonl", """
            {"id": 1, "d": 1e400}
            {"id": 2, "r": 1e39}
            {"id": 3, "d": 1e-400}
            {"id": 4, "d": 1.5, "r": -2.5e-3}
            {"id": 5, "d": "Infinity"}

            """);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.True(job.Status == "succeeded", job.Error?.Message);
        Assert.Equal((5L, 2L, 3L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected));
        Assert.Equal("4:1.5:-0.0025,5:Infinity:", await env.ScalarAsync<string>(
            "select string_agg(concat_ws(':', id, d, coalesce(r::text, '')), ',' order by id) from public.floats"));
        var rejects = await File.ReadAllLinesAsync(Path.Combine(job.Workspace, "transform", "rejects.csv"));
        Assert.StartsWith("1,d,'1e400' is out of range for double precision", rejects[1], StringComparison.Ordinal);
        Assert.StartsWith("2,r,'1e39' is out of range for real", rejects[2], StringComparison.Ordinal);
        Assert.StartsWith("3,d,'1e-400' is too close to zero for double precision", rejects[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_json_string_with_an_unpaired_surrogate_escape_rejects_its_line_instead_of_failing_the_job()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("events.yaml", EventsPipeline("rejects: { max_rows: 1 }"));
        env.StartHost();
        env.Drop("inbox", "events/s.jsonl", """
            {"id": 1, "note": "a"}
            {"id": 2, "note": "half a pair: \ud800"}
            {"id": 3, "note": "a pair: \ud83d\ude00"}

            """);

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.True(job.Status == "succeeded", job.Error?.Message);
        Assert.Equal((3L, 2L, 1L), (job.Counts.Read, job.Counts.Loaded, job.Counts.Rejected));
        Assert.Equal("a pair: \U0001F600", await env.ScalarAsync<string>("select note from public.events where id = 3"));
        var rejects = await File.ReadAllLinesAsync(Path.Combine(job.Workspace, "transform", "rejects.csv"));
        Assert.StartsWith("2,note,\"invalid JSON: a string holds an unpaired surrogate escape", rejects[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_parquet_file_given_to_a_json_lines_pipeline_fails_saying_so_instead_of_rejecting_its_bytes_as_lines()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("events.yaml", EventsPipeline("schema: { id: bigint }\nrejects: { max_ratio: 1 }", match: "events/*"));
        env.StartHost();
        await DropParquetAsync(env, "events/e.jsonl", "SELECT i::BIGINT AS id FROM range(1000) t(i)");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal(("failed", "jsonl.not_json_lines"), (job.Status, job.Error?.Code));
        Assert.Equal("inbox/events/e.jsonl: the file is a Parquet file (it starts with PAR1), not JSON Lines; read it as Parquet (source.format: parquet).",
            job.Error?.Message);
        Assert.True(await env.ScalarAsync<bool>("select to_regclass('public.events') is null"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n  \r\n\n")]
    public async Task An_empty_json_lines_file_fails_without_a_schema_saying_to_declare_one_and_loads_no_rows_with_one(string content)
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("inferred.yaml", """
            name: inferred
            on: { bucket: inbox, match: "inferred/*.jsonl" }
            source: { format: jsonl }
            target: { table: public.inferred }
            """);
        env.WritePipeline("declared.yaml", """
            name: declared
            on: { bucket: inbox, match: "declared/*.jsonl" }
            source: { format: jsonl }
            schema: { id: bigint }
            target: { table: public.declared }
            """);
        env.StartHost();
        env.Drop("inbox", "inferred/e.jsonl", content);
        env.Drop("inbox", "declared/e.jsonl", content);

        var jobs = await env.WaitForJobsAsync(2);

        var inferred = Assert.Single(jobs, j => j.Pipeline == "inferred");
        Assert.Equal(("failed", "jsonl.empty"), (inferred.Status, inferred.Error?.Code));
        Assert.Equal("inbox/inferred/e.jsonl: the file is empty (or only blank lines), so there is no key to infer a column from; " +
                     "declare a schema, and an empty file loads no rows.", inferred.Error?.Message);
        var declared = Assert.Single(jobs, j => j.Pipeline == "declared");
        Assert.Equal(("succeeded", 0L, 0L), (declared.Status, declared.Counts.Read, declared.Counts.Loaded));
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from public.declared"));
    }

    [Fact]
    public async Task A_duckdb_json_column_loads_into_a_json_column_with_its_text()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("facts.yaml", ParquetPipeline("public.facts"));
        env.StartHost();
        await DropParquetAsync(env, "facts/j.parquet",
            """SELECT 1::BIGINT AS id, '{"a": [1, {"b": null}]}'::JSON AS doc UNION ALL SELECT 2, NULL::JSON""");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.True(job.Status == "succeeded", job.Error?.Message);
        Assert.Equal((2L, 2L), (job.Counts.Read, job.Counts.Loaded));
        Assert.Equal("json", await env.ScalarAsync<string>(
            "select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'public.facts'::regclass and attname = 'doc'"));
        Assert.True(await env.ScalarAsync<bool>("""select doc::jsonb = '{"a": [1, {"b": null}]}'::jsonb from public.facts where id = 1"""));
        Assert.True(await env.ScalarAsync<bool>("select doc is null from public.facts where id = 2"));
    }

    [Fact]
    public async Task A_parquet_date_of_infinity_fails_naming_its_column_not_as_a_damaged_file()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("facts.yaml", ParquetPipeline("public.facts"));
        env.StartHost();
        await DropParquetAsync(env, "facts/d.parquet", "SELECT 1::BIGINT AS id, '-infinity'::DATE AS valid_from");

        var job = Assert.Single(await env.WaitForJobsAsync(1));

        Assert.Equal(("failed", "parquet.out_of_range"), (job.Status, job.Error?.Code));
        Assert.StartsWith("inbox/facts/d.parquet: column 'valid_from' holds a date or timestamp in row group 1 (rows from 1) outside the years 1 to 9999",
            job.Error?.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("damaged", job.Error?.Message, StringComparison.Ordinal);
    }
}
