using Sluice.Pipelines;

namespace Sluice.Tests.Pipelines;

public class PipelineLoaderTests
{
    private const string File = "pipelines/payments.yaml";

    private const string Full = """
        name: payments
        on: { bucket: inbox, match: "payments/*.csv" }
        workflow: load
        source: { format: csv, header: true, delimiter: ";", quote: "'", escape: "\\", encoding: latin1, null: ["", "NULL"], sample_rows: 500 }
        schema:
          transaction_id: bigint
          amount: numeric(14,2)
          currency: char(3) not null
          booked_at: Timestamp With Time Zone
          memo: text
        target: { table: finance.transactions, mode: upsert, key: [transaction_id], create: false, database: "postgresql://etl@db:5432/warehouse" }
        output: { bucket: processed-payments }
        notify: [ { webhook: "http://127.0.0.1:9000/hook", events: [job.failed, job.succeeded] } ]
        retry: { max_attempts: 3, backoff: 500ms }
        rejects: { max_rows: 100, max_ratio: 0.01 }
        """;

    private static PipelineError[] Errors(string yaml) =>
        Assert.Throws<PipelineException>(() => PipelineLoader.Parse(yaml, File)).Errors.ToArray();

    private static PipelineError Single(string yaml) => Assert.Single(Errors(yaml));

    [Fact]
    public void Full_example_parses_into_every_field()
    {
        var p = PipelineLoader.Parse(Full, File);

        Assert.Equal("payments", p.Name);
        Assert.Equal(File, p.SourceFile);
        Assert.Equal("inbox", p.Bucket);
        Assert.Equal("payments/*.csv", p.Match);
        Assert.Equal(WorkflowKind.Load, p.Workflow);
        Assert.Equal("csv", p.SourceFormat);
        Assert.True(p.Csv.Header);
        Assert.Equal(';', p.Csv.Delimiter);
        Assert.Equal('\'', p.Csv.Quote);
        Assert.Equal('\\', p.Csv.Escape);
        Assert.Equal("latin1", p.Csv.Encoding);
        Assert.Equal(["", "NULL"], p.Csv.NullMarkers);
        Assert.Equal(500, p.Csv.SampleRows);
        Assert.Equal(
            [
                new ColumnDefinition("transaction_id", ColumnType.BigInt, Nullable: false),
                new ColumnDefinition("amount", new ColumnType(ColumnKind.Numeric, Precision: 14, Scale: 2)),
                new ColumnDefinition("currency", new ColumnType(ColumnKind.Char, Length: 3), Nullable: false),
                new ColumnDefinition("booked_at", new ColumnType(ColumnKind.TimestampTz)),
                new ColumnDefinition("memo", ColumnType.Text),
            ],
            p.Schema!);
        var target = p.Target!;
        Assert.Equal(("finance", "transactions", LoadMode.Upsert, false), (target.Schema, target.Table, target.Mode, target.Create));
        Assert.Equal(["transaction_id"], target.KeyColumns);
        Assert.Equal("postgresql://etl@db:5432/warehouse", target.Database);
        Assert.Equal("processed-payments", p.OutputBucket);
        var notifier = Assert.Single(p.Notify);
        Assert.Equal(new Uri("http://127.0.0.1:9000/hook"), notifier.Webhook);
        Assert.Equal(["job.failed", "job.succeeded"], notifier.Events);
        Assert.Equal(new RetryPolicy(3, TimeSpan.FromMilliseconds(500)), p.Retry);
        Assert.Equal(new RejectPolicy(100, 0.01), p.Rejects);
    }

    [Fact]
    public void Minimal_pipeline_takes_the_documented_defaults()
    {
        var p = PipelineLoader.Parse("name: accounts\non: { bucket: inbox }\ntarget: { table: accounts }\n", File);

        Assert.Equal("**", p.Match);
        Assert.Equal(WorkflowKind.Load, p.Workflow);
        Assert.Same(CsvOptions.Default, p.Csv);
        Assert.Null(p.Schema);
        Assert.Equal(new TargetDefinition("public", "accounts"), p.Target! with { Key = null });
        Assert.Empty(p.Target!.KeyColumns);
        Assert.Equal("processed", p.OutputBucket);
        Assert.Empty(p.Notify);
        Assert.Same(RetryPolicy.Default, p.Retry);
        Assert.Same(RejectPolicy.None, p.Rejects);
    }

    [Theory]
    [InlineData("\"\\t\"")]
    [InlineData("'\\t'")]
    [InlineData("tab")]
    [InlineData("\"\t\"")]
    public void Tab_delimiter_can_be_written_several_ways(string written)
    {
        var p = PipelineLoader.Parse($"name: t\non: {{ bucket: inbox }}\nsource: {{ delimiter: {written} }}\ntarget: {{ table: t }}\n", File);
        Assert.Equal('\t', p.Csv.Delimiter);
    }

    [Theory]
    [InlineData("{ format: tsv }", '\t')]
    [InlineData("{ format: TSV }", '\t')]
    [InlineData("{ format: tsv, delimiter: ';' }", ';')]
    [InlineData("{ format: txt }", ',')]
    [InlineData("{ format: csv }", ',')]
    public void A_tsv_source_is_tab_separated_unless_it_names_another_delimiter(string source, char delimiter)
    {
        var p = PipelineLoader.Parse($"name: t\non: {{ bucket: inbox }}\nsource: {source}\ntarget: {{ table: t }}\n", File);
        Assert.Equal(("csv", delimiter), (p.SourceFormat, p.Csv.Delimiter));
    }

    [Fact]
    public void Null_markers_accept_a_single_string_and_convert_needs_no_target()
    {
        var p = PipelineLoader.Parse("name: c\non: { bucket: inbox }\nworkflow: convert\nsource: { null: NULL, encoding: UTF-16 }\n", File);
        Assert.Equal(["NULL"], p.Csv.NullMarkers);
        Assert.Equal(WorkflowKind.Convert, p.Workflow);
        Assert.Null(p.Target);
    }

    [Fact]
    public void Chunk_policy_reads_its_sizes_and_how_keyed_chunks_load()
    {
        const string head = "name: p\non: { bucket: inbox }\ntarget: { table: t, key: [id] }\n";
        Assert.Equal(ChunkPolicy.Default, PipelineLoader.Parse(head, File).Chunk);
        Assert.Equal(KeyedChunkLoads.SideBySide, ChunkPolicy.Default.KeyedLoads);
        Assert.Equal(new ChunkPolicy(5000, 64L << 20, KeyedChunkLoads.InOrder),
            PipelineLoader.Parse(head + "chunk: { rows: 5000, bytes: 64MiB, keyed_loads: in_order }\n", File).Chunk);
        Assert.Equal(new ChunkPolicy(ChunkPolicy.Default.Rows, ChunkPolicy.Default.Bytes, KeyedChunkLoads.SideBySide),
            PipelineLoader.Parse(head + "chunk: { keyed_loads: side_by_side }\n", File).Chunk);
        var error = Single(head + "chunk: { keyed_loads: sorted }\n");
        Assert.Equal("pipelines/payments.yaml:4:23: chunk.keyed_loads: 'sorted' is not one of side_by_side, in_order", error.ToString());
        Assert.True(ChunkPolicy.Default.Spread);
        Assert.Equal(ChunkPolicy.Default with { Spread = false }, PipelineLoader.Parse(head + "chunk: { spread: false }\n", File).Chunk);
        Assert.Equal("pipelines/payments.yaml:4:18: chunk.spread: 'cores' is not true or false", Single(head + "chunk: { spread: cores }\n").ToString());
    }

    [Fact]
    public void Syntax_error_carries_yaml_line_and_column()
    {
        var error = Single("name: payments\non: bucket: inbox\ntarget: { table: t }\n");
        Assert.Equal((File, 2, 11, ""), (error.File, error.Line, error.Column, error.Key));
        Assert.StartsWith("pipelines/payments.yaml:2:11: invalid YAML: ", error.ToString());
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_one_error_at_the_first_level_too_deep()
    {
        var depth = 20_000;
        var error = Single("name: x\nschema: " + new string('[', depth) + new string(']', depth) + "\n");
        var firstBracket = "schema: ".Length + 1;
        // The root mapping is the first level, so the bracket at level MaxNesting + 1 is the one refused.
        Assert.Equal((2, firstBracket + YamlPipelineDocument.MaxNesting - 1), (error.Line, error.Column));
        Assert.Contains($"deeper than {YamlPipelineDocument.MaxNesting} levels", error.Message);
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_read_as_usual()
    {
        var nested = new string('[', YamlPipelineDocument.MaxNesting - 1) + new string(']', YamlPipelineDocument.MaxNesting - 1);
        var error = Single("name: payments\non: { bucket: inbox }\ntarget: { table: t }\nschema: " + nested + "\n");
        Assert.Equal("schema", error.Key);
        Assert.DoesNotContain("deeper", error.Message);
    }

    [Fact]
    public void Unclosed_flow_list_is_a_syntax_error_with_a_position()
    {
        var error = Single("name: payments\non: { bucket: inbox\ntarget: { table: t }\n");
        Assert.Equal("pipelines/payments.yaml:2:5: on: invalid YAML: this '{' is never closed", error.ToString());
    }

    [Fact]
    public void Unknown_key_error_names_file_line_and_key()
    {
        var error = Single("name: payments\non: { bucket: inbox }\ntarget: { table: t }\ntaget: { table: t }\n");
        Assert.Equal(
            "pipelines/payments.yaml:4:1: taget: unknown key 'taget'; allowed keys: name, on, workflow, source, schema, target, output, notify, retry, rejects, chunk",
            error.ToString());
    }

    [Fact]
    public void Unknown_nested_key_error_names_the_key_path()
    {
        var error = Single("name: payments\non: { bucket: inbox }\ntarget:\n  table: t\n  modes: append\n");
        Assert.Equal((5, 3, "target.modes"), (error.Line, error.Column, error.Key));
        Assert.Equal("unknown key 'modes'; allowed keys: table, mode, key, create, database", error.Message);
    }

    [Fact]
    public void Bad_mode_lists_the_accepted_modes()
    {
        var error = Single("name: payments\non: { bucket: inbox }\ntarget:\n  table: public.transactions\n  mode: apend\n");
        Assert.Equal("pipelines/payments.yaml:5:9: target.mode: 'apend' is not one of append, replace, upsert", error.ToString());
    }

    [Fact]
    public void Unknown_type_error_points_at_the_type_and_lists_accepted_types()
    {
        var error = Single("name: p\non: { bucket: inbox }\nschema:\n  id: bigint\n  amount: money\ntarget: { table: t }\n");
        Assert.Equal((5, 11, "schema.amount"), (error.Line, error.Column, error.Key));
        Assert.StartsWith("unknown type 'money'; accepted types: text, varchar(n), character varying(n)", error.Message);
    }

    [Fact]
    public void Upsert_without_key_is_an_error()
    {
        var error = Single("name: p\non: { bucket: inbox }\ntarget: { table: t, mode: upsert }\n");
        Assert.Equal((3, 9, "target.key"), (error.Line, error.Column, error.Key));
        Assert.Equal("mode upsert needs the key columns that identify a row, as in key: [transaction_id]", error.Message);
    }

    [Fact]
    public void Key_column_missing_from_schema_is_an_error()
    {
        var error = Single("name: p\non: { bucket: inbox }\nschema: { id: int }\ntarget: { table: t, mode: upsert, key: [ident] }\n");
        Assert.Equal((4, 41, "target.key[0]"), (error.Line, error.Column, error.Key));
        Assert.Equal("column 'ident' is not in schema; schema columns: id", error.Message);
    }

    [Fact]
    public void Identifier_of_64_bytes_is_too_long_and_63_is_fine()
    {
        var ok = new string('c', 63);
        var p = PipelineLoader.Parse($"name: p\non: {{ bucket: inbox }}\nschema:\n  {ok}: text\ntarget: {{ table: t }}\n", File);
        Assert.Equal(ok, Assert.Single(p.Schema!).Name);

        var tooLong = new string('c', 64);
        var error = Single($"name: p\non: {{ bucket: inbox }}\nschema:\n  {tooLong}: text\ntarget: {{ table: t }}\n");
        Assert.Equal((4, 3, $"schema.{tooLong}"), (error.Line, error.Column, error.Key));
        Assert.EndsWith("is 64 bytes in UTF-8; PostgreSQL keeps at most 63 bytes of an identifier and would truncate it", error.Message);
    }

    [Fact]
    public void Multi_byte_table_name_of_22_characters_exceeds_63_bytes()
    {
        var name = string.Concat(Enumerable.Repeat("価", 22));
        Assert.Equal(22, name.Length);
        var error = Single($"name: p\non: {{ bucket: inbox }}\ntarget: {{ table: sales.{name} }}\n");
        Assert.Equal((3, 18, "target.table"), (error.Line, error.Column, error.Key));
        Assert.Equal($"name '{name}' is 66 bytes in UTF-8; PostgreSQL keeps at most 63 bytes of an identifier and would truncate it", error.Message);
    }

    [Fact]
    public void Duplicate_column_is_reported_with_both_lines()
    {
        var error = Single("name: p\non: { bucket: inbox }\nschema:\n  id: int\n  amount: numeric\n  id: bigint\ntarget: { table: t }\n");
        Assert.Equal("pipelines/payments.yaml:6:3: schema.id: duplicate column 'id' (first at line 4); remove one of them " +
                     "(the other errors listed are those of the one at line 4)", error.ToString());
    }

    [Fact]
    public void A_duplicate_section_is_reported_with_every_other_error_of_the_file_checked_against_the_first()
    {
        var errors = Errors("""
            name: Payments!
            on: { bucket: inbox }
            target: { table: t, mode: apend }
            retry: { max_attempts: 0 }
            target: { table: u }
            """);

        Assert.Equal(
            [
                "5:1 target: duplicate key 'target' (first at line 3); remove one of them (the other errors listed are those of the one at line 3)",
                "1:7 name", "3:27 target.mode", "4:24 retry.max_attempts",
            ],
            errors.Select((e, i) => i == 0 ? $"{e.Line}:{e.Column} {e.Key}: {e.Message}" : $"{e.Line}:{e.Column} {e.Key}"));
    }

    [Fact]
    public void A_duplicate_key_inside_a_section_is_reported_with_the_errors_of_that_section_and_the_rest()
    {
        var errors = Errors("""
            name: payments
            on: { bucket: inbox }
            target:
              table: ""
              mode: upsert
              table:
                nested: [1, 2]
            rejects: { max_ratio: 2 }
            """);

        Assert.Equal(["6:3 target.table", "4:10 target.table", "4:3 target.key", "8:23 rejects.max_ratio"],
            errors.Select(e => $"{e.Line}:{e.Column} {e.Key}"));
        Assert.StartsWith("duplicate key 'table' (first at line 4)", errors[0].Message);
    }

    [Fact]
    public void A_file_whose_only_problem_is_a_duplicate_key_reports_that_one_error()
    {
        var error = Single("name: p\non: { bucket: inbox }\ntarget: { table: t }\nname: q\n");
        Assert.Equal((4, 1, "name"), (error.Line, error.Column, error.Key));
    }

    [Fact]
    public void Columns_differing_only_in_case_are_distinct()
    {
        var p = PipelineLoader.Parse("name: p\non: { bucket: inbox }\nschema: { id: int, ID: text }\ntarget: { table: t }\n", File);
        Assert.Equal(["id", "ID"], p.Schema!.Select(c => c.Name));
    }

    [Fact]
    public void A_tab_used_to_indent_is_reported_on_its_line_and_says_to_use_spaces()
    {
        var error = Single("name: payments\non: { bucket: inbox, match: \"*.csv\" }\ntarget:\n  table: t\n\tmode: append\n");

        Assert.True(error.Line == 5, $"{error.Line}:{error.Column} {error.Key}: {error.Message}");
        Assert.Contains("tab", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Every_error_of_a_file_is_reported_at_once()
    {
        var errors = Errors("""
            name: Payments!
            on: { bucket: ../inbox, match: "a[b" }
            source: { format: xml,     delimiter: ";;", encoding: klingon }
            schema: { _sluice_row: int }
            target: { table: "", mode: upsert, key: [] }
            notify: [ { webhook: "file:///etc/passwd", events: [job.fail] } ]
            retry: { max_attempts: 0, backoff: 2 weeks }
            rejects: { max_ratio: 1.5 }
            """);

        Assert.Equal(
            [
                "1:7 name", "2:15 on.bucket", "2:32 on.match", "3:19 source.format", "3:39 source.delimiter",
                "3:55 source.encoding", "4:11 schema._sluice_row", "5:18 target.table", "5:41 target.key",
                "6:22 notify[0].webhook", "6:53 notify[0].events[0]", "7:24 retry.max_attempts", "7:36 retry.backoff", "8:23 rejects.max_ratio",
            ],
            errors.Select(e => $"{e.Line}:{e.Column} {e.Key}"));
        Assert.Equal("'xml' is not one of csv, jsonl or parquet", errors[3].Message);
        Assert.Equal("'file:///etc/passwd' is not an absolute http:// or https:// URL", errors[9].Message);
        Assert.Equal("'job.fail' is not an event webhooks receive: job.succeeded or job.failed", errors[10].Message);
    }

    [Fact]
    public void Missing_required_sections_are_reported_at_the_top()
    {
        var errors = Errors("workflow: load\n");
        Assert.Equal(["1:1 name: is required", "1:1 on: is required, as in on: { bucket: inbox, match: \"payments/*.csv\" }",
            "1:1 target: is required for workflow load, as in target: { table: public.transactions }"],
            errors.Select(e => $"{e.Line}:{e.Column} {e.Key}: {e.Message}"));
    }

    [Fact]
    public void Database_errors_never_repeat_the_value()
    {
        var error = Single("name: p\non: { bucket: inbox }\ntarget: { table: t, database: \"mysql://u:s3cret@h/db\" }\n");
        Assert.Equal("target.database", error.Key);
        Assert.DoesNotContain("s3cret", error.ToString());
    }

    [Fact]
    public void Output_bucket_equal_to_input_bucket_is_rejected()
    {
        var error = Single("name: p\non: { bucket: inbox }\ntarget: { table: t }\noutput: { bucket: inbox }\n");
        Assert.Equal("output.bucket", error.Key);
        Assert.StartsWith("must differ from on.bucket 'inbox'", error.Message);
    }

    [Fact]
    public void Quoted_table_parts_may_hold_dots()
    {
        var p = PipelineLoader.Parse("name: p\non: { bucket: inbox }\ntarget: { table: '\"my.schema\".\"a\"\"b\"' }\n", File);
        Assert.Equal(("my.schema", "a\"b"), (p.Target!.Schema, p.Target.Table));
    }

    [Fact]
    public void Empty_file_and_several_documents_are_errors()
    {
        Assert.StartsWith("file is empty", Single("# nothing here\n").Message);
        var error = Single("name: a\non: { bucket: inbox }\n---\nname: b\n");
        Assert.Equal((4, 1), (error.Line, error.Column));
        Assert.Equal("one pipeline per file, found 2 documents separated by ---", error.Message);
    }
}
