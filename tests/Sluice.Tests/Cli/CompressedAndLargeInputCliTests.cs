using System.Text.Json;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Cli;

/// <summary><c>sluice convert</c> and <c>sluice inspect</c> on the inputs that are read through a step first:
/// gzip- and Zstandard-compressed files and zip archives (decompressed, checked), and Parquet row groups too large to decode whole (re-cut).</summary>
public sealed class CompressedAndLargeInputCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-cli-input-").FullName;

    private Dictionary<string, string> Env => new() { ["SLUICE_HOME"] = Path.Combine(_dir, "home") };

    [Fact]
    public async Task A_gzip_compressed_csv_is_converted_and_inspected_leaving_no_inflated_file_behind()
    {
        var csv = Write("payments.csv", ConvertCliTests.Payments);
        var schema = Write("schema.yaml", ConvertCliTests.Schema);
        var gz = GzipFiles.CompressFile(csv);
        var parquet = Path.Combine(_dir, "out", "payments.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(parquet)!);

        var converted = await CliProcess.RunAsync(Env, "convert", gz, parquet, "--schema", schema, "--validate");
        var inspected = await CliProcess.RunAsync(Env, "inspect", gz, "--json");
        var back = await CliProcess.RunAsync(Env, "convert", parquet, Path.Combine(_dir, "back.csv"));

        Assert.True(converted.ExitCode == 0, converted.StdErr);
        Assert.Contains($"{gz} → {parquet}: 4 rows written", converted.StdErr, StringComparison.Ordinal);
        Assert.Contains("4 rows match", converted.StdErr, StringComparison.Ordinal);
        Assert.Equal(["payments.parquet", "payments.parquet.validation.json"], Directory.GetFiles(Path.GetDirectoryName(parquet)!).Select(Path.GetFileName).Order());
        Assert.True(inspected.ExitCode == 0, inspected.StdErr);
        var columns = JsonDocument.Parse(inspected.StdOut).RootElement.GetProperty("columns");
        Assert.Equal(["id", "amount", "booked_at", "payload", "note"], columns.EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.True(back.ExitCode == 0, back.StdErr);
        Assert.Equal(ConvertCliTests.Payments, await File.ReadAllTextAsync(Path.Combine(_dir, "back.csv")));
    }

    [Fact]
    public async Task A_zstandard_compressed_jsonl_is_converted_exactly_leaving_no_decompressed_file_behind()
    {
        var jsonl = "{\"id\":1,\"amount\":18071.13}\n{\"id\":2,\"amount\":0.10}\n";
        var zst = Path.Combine(_dir, "events.jsonl.zst");
        await File.WriteAllBytesAsync(zst, ZstdFiles.Compress(System.Text.Encoding.UTF8.GetBytes(jsonl)));
        var csv = Path.Combine(_dir, "out", "events.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(csv)!);

        var (code, _, stderr) = await CliProcess.RunAsync(Env, "convert", zst, csv);

        Assert.True(code == 0, stderr);
        Assert.Equal("id,amount\n1,18071.13\n2,0.10\n", await File.ReadAllTextAsync(csv));
        Assert.Equal(["events.csv"], Directory.GetFiles(Path.GetDirectoryName(csv)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Inspect_shows_the_first_rows_of_a_parquet_file_whose_one_row_group_is_past_the_memory_limit()
    {
        // 300,000 rows in one group, estimated at about 33 MiB decoded: past a limit of 8 MiB, so reading the group as
        // written would be refused; inspect copies only the rows it shows.
        var parquet = Path.Combine(_dir, "one-group.parquet");
        await DuckDb.QueryAsync($"COPY (SELECT i::BIGINT AS id, 'note ' || i AS note FROM range(300000) t(i)) TO '{parquet}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)");
        var env = new Dictionary<string, string>(Env) { ["SLUICE_PARQUET_MAX_GROUP_MIB"] = "8" };

        var (code, stdout, stderr) = await CliProcess.RunAsync(env, "inspect", parquet, "--rows", "3", "--json");

        Assert.True(code == 0, stderr);
        var shown = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal((300_000L, 1), (shown.GetProperty("rows").GetInt64(), shown.GetProperty("row_groups").GetInt32()));
        Assert.Equal(["0|note 0", "1|note 1", "2|note 2"],
            shown.GetProperty("first_rows").EnumerateArray().Select(r => string.Join('|', r.EnumerateArray().Select(v => v.GetString()))));
    }

    [Fact]
    public async Task A_file_compressed_twice_is_refused_by_convert_and_inspect_leaving_no_decompressed_file_behind()
    {
        var zst = Path.Combine(_dir, "twice.csv.zst");
        await File.WriteAllBytesAsync(zst, ZstdFiles.Compress(ZstdFiles.Compress("id,amount\n1,2.50\n"u8.ToArray())));

        var converted = await CliProcess.RunAsync(Env, "convert", zst, Path.Combine(_dir, "twice.parquet"));
        var inspected = await CliProcess.RunAsync(Env, "inspect", zst);

        foreach (var (code, _, stderr) in new[] { converted, inspected })
        {
            Assert.NotEqual(0, code);
            Assert.Equal($"error: {zst} decompresses to zstd-compressed content again: it was compressed twice; compress the file once " +
                         "and put it in its place.", stderr.Trim());
        }
        Assert.Equal(["twice.csv.zst"], Directory.GetFiles(_dir).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(Path.GetTempPath(), ".twice.csv.*.inflated"));
    }

    [Fact]
    public async Task A_large_row_group_is_re_cut_into_groups_that_fit_a_low_max_group_limit_and_converts_as_small_groups_do()
    {
        var one = Path.Combine(_dir, "one.parquet");
        var small = Path.Combine(_dir, "small.parquet");
        const string rows = "SELECT i::BIGINT AS id, 'note ' || i AS note, i * 0.5 AS half, DATE '2026-01-01' + (i % 300)::INTEGER AS day FROM range(300000) t(i)";
        await DuckDb.QueryAsync($"COPY ({rows}) TO '{one}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)");
        await DuckDb.QueryAsync($"COPY ({rows}) TO '{small}' (FORMAT parquet, ROW_GROUP_SIZE 2048)");
        // 4 MiB: the file's own groups of 2,048 rows fit it; the re-cut's usual 32,768 would not.
        var env = new Dictionary<string, string>(Env) { ["SLUICE_PARQUET_MAX_GROUP_MIB"] = "4" };

        var recut = await CliProcess.RunAsync(env, "convert", one, Path.Combine(_dir, "one.csv"));
        var direct = await CliProcess.RunAsync(env, "convert", small, Path.Combine(_dir, "small.csv"));

        Assert.True(direct.ExitCode == 0, direct.StdErr);
        Assert.True(recut.ExitCode == 0, recut.StdErr);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(_dir, "small.csv")), await File.ReadAllTextAsync(Path.Combine(_dir, "one.csv")));
    }

    [Fact]
    public async Task A_gzip_file_cut_short_is_refused_by_convert_in_one_sentence_naming_it()
    {
        var gz = Path.Combine(_dir, "cut.csv.gz");
        var whole = GzipFiles.Compress(System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{i},{i * 7 % 1000}.25\n"))));
        await File.WriteAllBytesAsync(gz, whole[..^20]);

        var (code, _, stderr) = await CliProcess.RunAsync(Env, "convert", gz, Path.Combine(_dir, "cut.parquet"));

        Assert.NotEqual(0, code);
        Assert.StartsWith($"error: {gz} is not valid gzip near compressed byte", stderr.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.Equal(["cut.csv.gz"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_zipped_csv_is_converted_and_inspected_by_the_name_inside_and_a_zip_of_two_files_is_refused_naming_them()
    {
        var zip = Path.Combine(_dir, "payments.csv.zip");
        await File.WriteAllBytesAsync(zip, ZipFiles.Archive(("payments.csv", System.Text.Encoding.UTF8.GetBytes(ConvertCliTests.Payments))));
        var two = Path.Combine(_dir, "two.csv.zip");
        await File.WriteAllBytesAsync(two, ZipFiles.Archive(("a.csv", "x\n1\n"u8.ToArray()), ("b.csv", "x\n2\n"u8.ToArray())));
        var jsonl = Path.Combine(_dir, "out", "payments.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(jsonl)!);

        var converted = await CliProcess.RunAsync(Env, "convert", zip, jsonl, "--schema", Write("schema.yaml", ConvertCliTests.Schema), "--validate");
        // Named without the format, the archive's format is told by the name of the file inside it.
        var plain = Path.Combine(_dir, "payments.zip");
        await File.WriteAllBytesAsync(plain, ZipFiles.Archive(("export/payments.csv", System.Text.Encoding.UTF8.GetBytes(ConvertCliTests.Payments))));
        var inspected = await CliProcess.RunAsync(Env, "inspect", plain, "--json");
        var refused = await CliProcess.RunAsync(Env, "inspect", two);
        var fromInside = await CliProcess.RunAsync(Env, "convert", plain, Path.Combine(_dir, "out", "plain.parquet"));

        Assert.True(converted.ExitCode == 0, converted.StdErr);
        Assert.Contains("4 rows match", converted.StdErr, StringComparison.Ordinal);
        Assert.Equal(["payments.jsonl", "payments.jsonl.validation.json", "plain.parquet"], Directory.GetFiles(Path.GetDirectoryName(jsonl)!).Select(Path.GetFileName).Order());
        Assert.True(inspected.ExitCode == 0, inspected.StdErr);
        Assert.Equal(5, JsonDocument.Parse(inspected.StdOut).RootElement.GetProperty("columns").GetArrayLength());
        Assert.True(fromInside.ExitCode == 0, fromInside.StdErr);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.StartsWith($"error: {two} holds 2 files (a.csv, b.csv); Sluice reads one file from an archive", refused.StdErr.Trim(), StringComparison.Ordinal);
        Assert.Equal(["payments.csv.zip", "payments.zip", "schema.yaml", "two.csv.zip"], Directory.GetFiles(_dir).Select(Path.GetFileName).Order());
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
