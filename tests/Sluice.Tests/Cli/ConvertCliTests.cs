using System.Text.Json;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Cli;

/// <summary>The real <c>sluice convert</c> and <c>sluice inspect</c> commands, run as processes on real files.</summary>
public sealed class ConvertCliTests : IDisposable
{
    internal const string Schema = """
        schema:
          id: bigint not null
          amount: numeric(38,10)
          booked_at: timestamptz
          payload: json
          note: text
        """;

    // Canonical text: what Sluice writes for these values, so a round trip must give the same bytes.
    internal const string Payments = """"
        id,amount,booked_at,payload,note
        1,9999999999999999999999999999.9999999999,2026-01-31 12:00:00.123456Z,"{""card"": ""visa"", ""tags"": [1, 2]}",plain
        2,-0.0000000001,1999-12-31 23:59:59Z,[],"comma, and ""quotes"""
        3,18071.1300000000,,null,""
        4,,2026-06-01 00:00:00.5Z,,

        """";

    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-cli-convert-").FullName;

    private Dictionary<string, string> Env => new() { ["SLUICE_HOME"] = Path.Combine(_dir, "home") };

    [Fact]
    public async Task Csv_to_parquet_and_back_with_validate_exits_zero_and_gives_back_the_same_bytes()
    {
        var csv = Write("payments.csv", Payments);
        var schema = Write("schema.yaml", Schema);
        var parquet = Path.Combine(_dir, "payments.parquet");
        var back = Path.Combine(_dir, "back.csv");

        var there = await CliProcess.RunAsync(Env, "convert", csv, parquet, "--schema", schema, "--validate");
        var home = await CliProcess.RunAsync(Env, "convert", parquet, back, "--validate");

        Assert.True(there.ExitCode == 0, there.StdErr);
        Assert.Contains("4 rows match", there.StdErr, StringComparison.Ordinal);
        Assert.Equal("passed", JsonDocument.Parse(File.ReadAllText(parquet + ".validation.json")).RootElement.GetProperty("status").GetString());
        Assert.True(home.ExitCode == 0, home.StdErr);
        Assert.Equal(Payments, await File.ReadAllTextAsync(back));
        Assert.False(File.Exists(parquet + ".rejects.csv"));
    }

    [Fact]
    public async Task The_summary_line_of_a_wide_file_names_the_first_dozen_columns_and_counts_the_rest()
    {
        var names = Enumerable.Range(1, 15).Select(i => $"c{i}").ToList();
        var csv = Write("wide.csv", string.Join(',', names) + "\n" + string.Join(',', names.Select((_, i) => i)) + "\n");

        var (code, _, stderr) = await CliProcess.RunAsync(Env, "convert", csv, Path.Combine(_dir, "wide.parquet"));

        Assert.Equal(0, code);
        Assert.Contains("(c1 bigint, c2 bigint, c3 bigint, c4 bigint, c5 bigint, c6 bigint, c7 bigint, c8 bigint, c9 bigint, c10 bigint, " +
            "c11 bigint, c12 bigint, and 3 more columns)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_with_json_prints_only_the_outcome_on_stdout()
    {
        var csv = Write("payments.csv", Payments);
        var jsonl = Path.Combine(_dir, "payments.jsonl");

        var (code, stdout, _) = await CliProcess.RunAsync(Env, "convert", csv, jsonl, "--schema", Write("schema.yaml", Schema), "--validate", "--json");

        Assert.Equal(0, code);
        var outcome = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(("succeeded", "csv", "jsonl"), (outcome.GetProperty("status").GetString(), outcome.GetProperty("from").GetString(), outcome.GetProperty("to").GetString()));
        Assert.Equal((4, 4, 0), (outcome.GetProperty("read").GetInt32(), outcome.GetProperty("written").GetInt32(), outcome.GetProperty("rejected").GetInt32()));
        Assert.Equal("numeric(38,10)", outcome.GetProperty("columns")[1].GetProperty("type").GetString());
        Assert.Equal("passed", outcome.GetProperty("validation").GetProperty("status").GetString());
        Assert.Contains("{\"id\":1,\"amount\":9999999999999999999999999999.9999999999,", await File.ReadAllTextAsync(jsonl), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_value_fails_naming_the_file_line_and_column_without_a_stack_trace()
    {
        var csv = Write("bad.csv", Payments.Replace("18071.1300000000", "18071.13000000001", StringComparison.Ordinal)
            .Replace("[]", "\"[1,\"", StringComparison.Ordinal));

        var (code, stdout, stderr) = await CliProcess.RunAsync(Env, "convert", csv, Path.Combine(_dir, "bad.parquet"), "--schema", Write("schema.yaml", Schema), "--json");

        Assert.Equal(1, code);
        Assert.Contains($"error: {csv}: 2 record(s) could not be converted; the first at line 3, column 'payload': '[1,' is not valid JSON", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        var outcome = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("failed", outcome.GetProperty("status").GetString());
        Assert.Equal(3, outcome.GetProperty("first_reject").GetProperty("line").GetInt32());
        var rejects = File.ReadAllLines(outcome.GetProperty("rejects_file").GetString()!);
        Assert.StartsWith("4,amount,", rejects[2], StringComparison.Ordinal);
        Assert.Contains("'18071.13000000001' has 11 decimal places; numeric(38,10) allows 10", rejects[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_cannot_be_read_fails_with_one_sentence_naming_it()
    {
        var garbage = Write("garbage.parquet", "this is not parquet\n");
        var nanos = Path.Combine(_dir, "nanos.parquet");
        await DuckDb.QueryAsync($"""
            COPY (SELECT * FROM (VALUES (1, TIMESTAMP_NS '2026-01-31 12:00:00'), (2, TIMESTAMP_NS '2026-01-31 12:00:00.000000001')) t(id, "at"))
            TO '{nanos}' (FORMAT parquet)
            """);

        var unreadable = await CliProcess.RunAsync(Env, "convert", garbage, Path.Combine(_dir, "out.csv"));
        var precise = await CliProcess.RunAsync(Env, "convert", nanos, Path.Combine(_dir, "out.jsonl"));

        Assert.Equal(1, unreadable.ExitCode);
        Assert.StartsWith($"error: {garbage}: the file is not a readable Parquet file", unreadable.StdErr, StringComparison.Ordinal);
        Assert.Equal(1, precise.ExitCode);
        Assert.StartsWith($"error: {nanos}: row 2, column 'at': 2026-01-31 12:00:00.000000001 has nanoseconds", precise.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", unreadable.StdErr + precise.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "out.jsonl")));
    }

    [Fact]
    public async Task A_damaged_parquet_file_fails_with_one_sentence_naming_it_in_convert_and_inspect()
    {
        var parquet = Path.Combine(_dir, "payments.parquet");
        Assert.Equal(0, (await CliProcess.RunAsync(Env, "convert", Write("payments.csv", Payments), parquet, "--schema", Write("schema.yaml", Schema))).ExitCode);
        // The first page's zstd frame loses its header: the footer still reads, the data does not.
        var bytes = await File.ReadAllBytesAsync(parquet);
        var frame = bytes.AsSpan().IndexOf([(byte)0x28, (byte)0xB5, (byte)0x2F, (byte)0xFD]);
        Assert.True(frame > 0, "no zstd frame in the file");
        for (var i = frame + 4; i < frame + 12; i++) bytes[i] ^= 0xFF;
        await File.WriteAllBytesAsync(parquet, bytes);

        await AssertDamagedAsync(parquet, "row group 1 of 1 cannot be decoded");
        Assert.False(File.Exists(Path.Combine(_dir, "out.csv")));
    }

    [Fact]
    public async Task A_parquet_file_whose_footer_schema_is_damaged_fails_with_one_sentence_naming_it()
    {
        var parquet = Path.Combine(_dir, "flags.parquet");
        Assert.Equal(0, (await CliProcess.RunAsync(Env, "convert", Write("flags.csv", "id,flag\n1,true\n2,false\n"), parquet)).ExitCode);
        // The schema element of 'flag' (type BOOLEAN = 0, optional, name) gets a type no Parquet file has.
        var bytes = await File.ReadAllBytesAsync(parquet);
        var element = bytes.AsSpan().LastIndexOf([(byte)0x15, (byte)0x00, (byte)0x25, (byte)0x02, (byte)0x18, (byte)0x04, .. "flag"u8]);
        Assert.True(element > 0, "no schema element for 'flag' in the footer");
        bytes[element + 1] = 0x1F;
        await File.WriteAllBytesAsync(parquet, bytes);

        await AssertDamagedAsync(parquet, "its footer (schema and row groups) cannot be decoded");
    }

    /// <summary>Both convert and inspect refuse the damaged file in one sentence naming it and what is damaged.</summary>
    private async Task AssertDamagedAsync(string parquet, string what)
    {
        var converted = await CliProcess.RunAsync(Env, "convert", parquet, Path.Combine(_dir, "out.csv"));
        var inspected = await CliProcess.RunAsync(Env, "inspect", parquet);

        foreach (var (code, _, stderr) in new[] { converted, inspected })
        {
            Assert.Equal(1, code);
            Assert.StartsWith($"error: {parquet}: the Parquet file is damaged: {what}", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_parquet_file_whose_schema_leaves_out_a_column_its_row_groups_hold_is_damaged_not_read_without_it()
    {
        var parquet = Path.Combine(_dir, "three.parquet");
        Assert.Equal(0, (await CliProcess.RunAsync(Env, "convert", Write("three.csv", "id,flag,note\n1,true,x\n2,false,y\n"), parquet)).ExitCode);
        // The root schema element says it has two children (zigzag 4) instead of three: the footer still decodes.
        var bytes = await File.ReadAllBytesAsync(parquet);
        var root = bytes.AsSpan().LastIndexOf([.. "root"u8, (byte)0x15, (byte)0x06]);
        Assert.True(root > 0, "no root schema element in the footer");
        bytes[root + 5] = 0x04;
        await File.WriteAllBytesAsync(parquet, bytes);

        await AssertDamagedAsync(parquet, "its schema names the columns id, flag, but row group 1 holds id, flag, note");
        Assert.False(File.Exists(Path.Combine(_dir, "out.csv")));
    }

    [Theory]
    [InlineData("missing.csv", "out.parquet", "does not exist")]
    [InlineData("payments.csv", "out.xlsx", "cannot tell the format of")]
    [InlineData("payments.csv", "no-such-folder/out.parquet", "the folder")]
    [InlineData("payments.csv", "out.jsonl", "--compression applies to Parquet output", "--compression", "snappy")]
    public async Task A_usage_mistake_exits_non_zero_with_a_message(string input, string output, string message, params string[] options)
    {
        Write("payments.csv", Payments);

        AssertRefused(await CliProcess.RunAsync(Env, ["convert", Path.Combine(_dir, input), Path.Combine(_dir, output), .. options]), message);
    }

    [Fact]
    public async Task Inspect_prints_the_dialect_the_inferred_schema_and_the_first_rows()
    {
        var csv = Write("semicolons.csv", "id;amount;booked_on\n1;18071.5;2026-01-31\n2;99999999999999999999999999999.25;2026-02-01\n3;1.00;2026-02-02\n");

        var (code, stdout, _) = await CliProcess.RunAsync(Env, "inspect", csv, "--rows", "2");

        Assert.Equal(0, code);
        Assert.Contains($"{csv}: csv, delimiter ';', quote '\"', header true, encoding utf-8", stdout, StringComparison.Ordinal);
        Assert.Matches(@"amount\s+numeric\(31,2\)", stdout);
        Assert.Matches(@"booked_on\s+date", stdout);
        Assert.Contains("99999999999999999999999999999.25", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("2026-02-02", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_with_no_rows_shows_only_the_schema_and_refuses_a_negative_count()
    {
        var csv = Write("payments.csv", Payments);

        var schemaOnly = await CliProcess.RunAsync(Env, "inspect", csv, "--rows", "0");
        var negative = await CliProcess.RunAsync(Env, "inspect", csv, "--rows", "-1");

        Assert.Equal(0, schemaOnly.ExitCode);
        Assert.Matches(@"amount\s+numeric\(38,10\)", schemaOnly.StdOut);
        Assert.DoesNotContain("plain", schemaOnly.StdOut, StringComparison.Ordinal);
        Assert.NotEqual(0, negative.ExitCode);
        Assert.Contains("--rows -1 is out of range; give a whole number of 0 or more.", negative.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_of_a_folder_says_it_is_a_folder()
    {
        var (code, _, stderr) = await CliProcess.RunAsync(Env, "inspect", _dir);

        Assert.Equal(1, code);
        Assert.Contains($"error: {_dir} is a folder, not a file", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_json_describes_a_parquet_file_with_its_row_groups_columns_and_rows()
    {
        var parquet = Path.Combine(_dir, "payments.parquet");
        Assert.Equal(0, (await CliProcess.RunAsync(Env, "convert", Write("payments.csv", Payments), parquet, "--schema", Write("schema.yaml", Schema))).ExitCode);

        var (code, stdout, _) = await CliProcess.RunAsync(Env, "inspect", parquet, "--json");

        Assert.Equal(0, code);
        var file = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(("parquet", 4, 1), (file.GetProperty("format").GetString(), file.GetProperty("rows").GetInt32(), file.GetProperty("row_groups").GetInt32()));
        Assert.Equal(JsonValueKind.Null, file.GetProperty("dialect").ValueKind);
        Assert.Equal(["id bigint", "amount numeric(38,10)", "booked_at timestamptz", "payload text", "note text"],
            file.GetProperty("columns").EnumerateArray().Select(c => $"{c.GetProperty("name").GetString()} {c.GetProperty("type").GetString()}"));
        var first = file.GetProperty("first_rows")[0].EnumerateArray().Select(v => v.GetString()!).ToArray();
        Assert.Equal(["1", "9999999999999999999999999999.9999999999", "2026-01-31 12:00:00.123456Z", "{\"card\": \"visa\", \"tags\": [1, 2]}", "plain"], first);
        Assert.Equal(JsonValueKind.Null, file.GetProperty("first_rows")[3][1].ValueKind);
    }

    [Fact]
    public async Task Convert_of_a_csv_whose_inferred_numeric_is_wider_than_38_digits_fails_with_one_sentence()
    {
        // 38 digits before the point and one after: numeric(39,1), which conversion cannot hold exactly (inspect shows it).
        var csv = Write("wide.csv", "id,amount\n1,12345678901234567890123456789012345678\n2,0.5\n");

        var (code, _, stderr) = await CliProcess.RunAsync(Env, "convert", csv, Path.Combine(_dir, "wide.parquet"));

        Assert.Equal(1, code);
        Assert.StartsWith($"error: {csv}: column 'amount' is numeric(39,1)", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing.yaml", null, "cannot read the schema file")]
    [InlineData("broken.yaml", "id: [bigint\n", "broken.yaml:2:1: not valid YAML")]
    [InlineData("listkey.yaml", "? [id]\n: bigint\n", "listkey.yaml:1:3: schema: column names must be plain names")]
    [InlineData("badformat.yaml", "id: bigint\nday: { type: date, format: MM.yyyy }\n", "badformat.yaml:2:28: schema.day.format: 'MM.yyyy' needs a year (yyyy), a month (MM) and a day (dd)")]
    public async Task A_schema_file_that_cannot_be_read_fails_with_one_sentence_naming_it(string name, string? text, string message)
    {
        var schema = text is null ? Path.Combine(_dir, name) : Write(name, text);

        AssertRefused(await CliProcess.RunAsync(Env, "convert", Write("payments.csv", Payments), Path.Combine(_dir, "out.parquet"), "--schema", schema), message);
    }

    /// <summary>The command failed (exit 1) with <paramref name="message"/> on stderr and no stack trace.</summary>
    private static void AssertRefused((int ExitCode, string StdOut, string StdErr) run, string message)
    {
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(message, run.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Converting_a_file_onto_itself_is_refused_and_the_source_is_kept()
    {
        // The conversion would fail (numeric(39,1)), and a failed conversion removes its output: here, the source.
        var csv = Write("same.csv", "id,amount\n1,12345678901234567890123456789012345678\n2,0.5\n");
        var link = Path.Combine(_dir, "link.csv");
        File.CreateSymbolicLink(link, csv);

        var direct = await CliProcess.RunAsync(Env, "convert", csv, csv, "--to", "parquet");
        var linked = await CliProcess.RunAsync(Env, "convert", csv, link, "--to", "jsonl");

        foreach (var (code, _, stderr) in new[] { direct, linked })
        {
            Assert.Equal(1, code);
            Assert.Contains("is the file being converted; write the output to another path", stderr, StringComparison.Ordinal);
        }
        Assert.Equal("id,amount\n1,12345678901234567890123456789012345678\n2,0.5\n", await File.ReadAllTextAsync(csv));
    }

    [Fact]
    public async Task Inspect_shows_a_number_wider_than_38_digits_as_its_type_and_its_text()
    {
        var csv = Write("wide-number.csv", "id,big\n1,123456789012345678901234567890123456789.5\n2,1.5\n");

        var (code, stdout, stderr) = await CliProcess.RunAsync(Env, "inspect", csv, "--json");

        Assert.True(code == 0, stderr);
        var json = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("numeric(40,1)", json.GetProperty("columns")[1].GetProperty("type").GetString());
        Assert.Equal("123456789012345678901234567890123456789.5", json.GetProperty("first_rows")[0][1].GetString());
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
