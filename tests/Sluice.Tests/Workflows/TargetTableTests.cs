using Npgsql;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Workflows;

/// <summary>Loads into tables that exist already: every loaded column must be there with a type that takes the values
/// unchanged (binary COPY does not convert: it would reinterpret the bytes), and quoted values are never NULL.</summary>
public sealed class TargetTableTests
{
    /// <summary>The pipeline, its schema given as <c>name: type, …</c> (each type quoted in the YAML).</summary>
    private static string Pipeline(string schema, string source, string target) =>
        Text(schema.Length == 0 ? "" : "schema: { " + string.Join(", ", schema.Split(", ").Select(c => c.Replace(": ", ": \"") + "\"")) + " }", source, target);

    private static string Text(string schema, string source, string target) => $$"""
        name: typed
        on: { bucket: inbox, match: "typed/*.csv" }
        workflow: load
        source: { {{source}} }
        {{schema}}
        target: { table: public.typed, {{target}} }
        retry: { max_attempts: 3, backoff: 200ms }
        """;

    private static async Task<Sluice.Control.JobView> LoadAsync(TestEnvironment env, string table, string schema, string csv,
        string source = "format: csv", string target = "mode: append, create: false")
    {
        await env.ExecuteAsync(table);
        env.WritePipeline("typed.yaml", Pipeline(schema, source, target));
        env.StartHost();
        env.Drop("inbox", "typed/a.csv", csv);
        return Assert.Single(await env.WaitForJobsAsync(1));
    }

    [Theory]
    [InlineData("id int, d int, r int, ts bigint", "id: int, d: date, r: real, ts: timestamp", "\"d\" is integer in the table, but the pipeline reads it as date")]
    [InlineData("id int, amount numeric(14,1)", "id: int, amount: numeric(14,2)", "values with 2 decimals would be rounded to 1")]
    [InlineData("id bigint, amount numeric", "id: int, amount: numeric(14,2)", "\"id\" is bigint in the table, but the pipeline reads it as integer")]
    [InlineData("id int, at timestamptz", "id: int, at: timestamp", "\"at\" is timestamp with time zone in the table")]
    [InlineData("id int, name varchar(3)", "id: int, name: varchar(10)", "values of up to 10 characters do not fit in 3")]
    [InlineData("id int", "id: int, note: text", "has no column \"note\"")]
    public async Task A_table_whose_columns_would_change_the_values_fails_the_job_before_any_row_goes_in(string columns, string schema, string expected)
    {
        await using var env = await TestEnvironment.CreateAsync();
        var header = string.Join(',', schema.Split(", ").Select(c => c.Split(':')[0]));
        var row = string.Join(',', schema.Split(", ").Select(c => c.Split(": ")[1] switch
        {
            "date" => "2026-02-28", "timestamp" => "2026-02-28 10:00:00", "real" => "1.5", "numeric(14,2)" => "12.35", _ => "7",
        }));
        var job = await LoadAsync(env, $"create table public.typed ({columns})", schema, $"{header}\n{row}\n");

        Assert.Equal(("failed", "target.columns"), (job.Status, job.Error?.Code));
        Assert.Contains(expected, job.Error!.Message);
        Assert.Contains("replay the job from transform, or alter the table and replay from load", job.Error.Message);
        Assert.Equal(0L, await env.ScalarAsync<long>("select count(*) from public.typed"));
        Assert.Equal(1, job.Stages.Count(s => s.Name == "load" && s.Status == "failed"));
    }

    [Theory]
    [InlineData("id int, amount numeric(16,4), name text", "id: int, amount: numeric(14,2), name: varchar(10)")]
    [InlineData("id int, amount numeric, name varchar", "id: int, amount: numeric(14,2), name: text")]
    [InlineData("id int, amount numeric(14,2), name varchar(10)", "id: int, amount: numeric(14,2), name: varchar(10)")]
    public async Task A_table_whose_columns_hold_every_value_unchanged_takes_the_rows(string columns, string schema)
    {
        await using var env = await TestEnvironment.CreateAsync();
        var job = await LoadAsync(env, $"create table public.typed ({columns})", schema, "id,amount,name\n1,12.35,abc\n2,-0.05,\n");

        Assert.Equal("succeeded", job.Status);
        Assert.Equal("12.35|-0.05", await env.ScalarAsync<string>("select string_agg(amount::numeric(14,2)::text, '|' order by id) from public.typed"));
    }

    [Fact]
    public async Task A_load_kept_waiting_by_a_lock_on_the_table_says_so_and_loads_once_the_lock_is_gone()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml().Replace("max_attempts: 3", "max_attempts: 10"));
        env.StartHost(workers: 1);
        env.DropPayments("payments/first.csv", 10, seed: 1);
        Assert.Equal("succeeded", Assert.Single(await env.WaitForJobsAsync(1)).Status);

        // Another session holds the table, as `lock table … in access exclusive mode` in psql would, past the timeout.
        await using var holder = new NpgsqlConnection(env.ConnectionString);
        await holder.OpenAsync();
        await using var tx = await holder.BeginTransactionAsync();
        await using (var lockCmd = new NpgsqlCommand("lock table public.payments in access exclusive mode", holder, tx))
            await lockCmd.ExecuteNonQueryAsync();
        var (_, second) = env.DropPayments("payments/second.csv", 20, seed: 2);
        await env.UntilAnyAsync("select count(*) from sluice.job_stages where name = 'load' and status = 'retrying'", TimeSpan.FromMinutes(2));
        Assert.Equal("target.lock_wait", await env.ScalarAsync<string>("select error_code from sluice.job_stages where status = 'retrying'"));
        Assert.Contains($"held by session pid {holder.ProcessID} ", await env.ScalarAsync<string>("select error_message from sluice.job_stages where status = 'retrying'"));
        await tx.CommitAsync();

        var jobs = await env.WaitForJobsAsync(2, TimeSpan.FromMinutes(2));
        Assert.All(jobs, j => Assert.Equal("succeeded", j.Status));
        Assert.Equal(10 + second.Rows, await env.ScalarAsync<long>("select count(*) from public.payments"));
        var secondJob = jobs.Single(j => j.Source.Key == "payments/second.csv");
        Assert.Equal(second.Rows, await env.ScalarAsync<long>("select count(*) from public.payments where _sluice_job_id = $1", secondJob.Id));
    }

    [Fact]
    public async Task A_quoted_empty_field_of_a_number_column_is_null_as_force_null_reads_it()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var job = await LoadAsync(env, "create table public.typed (id int, amount numeric(14,2), v text)", "id: int, amount: numeric(14,2), v: text",
            "\"id\",\"amount\",\"v\"\n\"1\",\"\",\"\"\n\"2\",\"2.50\",\"x\"\n");

        Assert.Equal("succeeded", job.Status);
        Assert.Equal("1:null:''|2:2.50:'x'",
            await env.ScalarAsync<string>("select string_agg(id || ':' || coalesce(amount::text, 'null') || ':' || quote_literal(v), '|' order by id) from public.typed"));
    }

    [Fact]
    public async Task A_quoted_value_is_never_null_even_when_it_reads_as_a_null_marker()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var job = await LoadAsync(env, "create table public.typed (id int, v text)", "id: int, v: text",
            "id,v\n1,\"\"\n2,\n3,\"NULL\"\n4,NULL\n5,x\n", "format: csv, null: [\"\", \"NULL\"]");

        Assert.Equal("succeeded", job.Status);
        Assert.Equal("1:''|2:null|3:'NULL'|4:null|5:'x'",
            await env.ScalarAsync<string>("select string_agg(id || ':' || coalesce(quote_literal(v), 'null'), '|' order by id) from public.typed"));
    }

    [Theory]
    [InlineData("mode: upsert, key: [id]", "create table public.typed (id int primary key, v text)", "id,v\n5,a\n6,b\n5,c\n",
        "load.duplicate_key", "such as 5 (2 rows)")]
    [InlineData("mode: append", "create table public.typed (id int primary key, v text); insert into public.typed values (6, 'old')", "id,v\n5,a\n6,b\n",
        "load.key_exists", "Key (id)=(6) already exists")]
    [InlineData("mode: upsert, key: [id]", "create table public.typed (id int, v text)", "id,v\n5,a\n",
        "load.no_unique_key", "alter table \"public\".\"typed\" add primary key (\"id\")")]
    public async Task A_load_that_postgresql_refuses_says_which_key_and_what_to_do(string target, string table, string csv, string code, string expected)
    {
        await using var env = await TestEnvironment.CreateAsync();
        var job = await LoadAsync(env, table, "id: int, v: text", csv, target: target + ", create: false");

        Assert.Equal(("failed", code), (job.Status, job.Error?.Code));
        Assert.Contains(expected, job.Error!.Message);
        Assert.Contains("replay from", job.Error.Message);
    }

    [Fact]
    public async Task A_header_column_named_like_the_lineage_column_fails_a_load_without_a_schema_naming_it()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var job = await LoadAsync(env, "select 1", "", "id,_sluice_job_id\n1,x\n", target: "mode: append");

        Assert.Equal(("failed", "csv.header_reserved"), (job.Status, job.Error?.Code));
        Assert.Contains("Header column 2 is named '_sluice_job_id'", job.Error!.Message);
    }

    [Fact]
    public async Task A_pipeline_without_a_schema_reads_the_columns_of_an_existing_table_as_the_tables_types()
    {
        await using var env = await TestEnvironment.CreateAsync();
        // Inferred alone, id would be bigint, amount numeric(18,1) and code bigint (dropping its zeros is not the point:
        // the table says text), none of which binary COPY may put into these columns.
        var job = await LoadAsync(env, "create table public.typed (id int, amount numeric(14,2), code varchar(8), at timestamp(6))",
            "", "id,amount,code,at\n1,12.5,7,2026-01-01 10:00:00\n2,3,8,2026-01-02 10:00:00.123456\n", target: "mode: append");

        Assert.Equal("succeeded", job.Status);
        Assert.Equal("1 12.50 7 2026-01-01 10:00:00|2 3.00 8 2026-01-02 10:00:00.123456",
            await env.ScalarAsync<string>("select string_agg(concat_ws(' ', id, amount, code, at), '|' order by id) from public.typed"));
    }

    [Fact]
    public async Task Domains_enums_and_timestamp_6_columns_take_the_values_they_held_before_the_check()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var job = await LoadAsync(env,
            "create domain public.email as text check (value like '%@%'); create type public.mood as enum ('ok', 'sad'); " +
            "create table public.typed (id int, mail public.email, mood public.mood, at timestamp(6))",
            "id: int, mail: text, mood: text, at: timestamp", "id,mail,mood,at\n1,a@b.c,ok,2026-01-01 10:00:00\n");

        Assert.Equal("succeeded", job.Status);
        Assert.Equal("1 a@b.c ok 2026-01-01 10:00:00", await env.ScalarAsync<string>("select concat_ws(' ', id, mail, mood, at) from public.typed"));
    }
}
