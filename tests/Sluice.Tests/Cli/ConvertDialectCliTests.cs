using System.Text.Json;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Cli;

/// <summary><c>sluice convert</c> writes CSV output in the output's own dialect, never the input's.</summary>
public sealed class ConvertDialectCliTests : IDisposable
{
    // Quotes, a comma and a semicolon inside values, an empty string ("") beside a null (nothing), exact decimals.
    private const string Tsv = "id\tamount\tnote\n" +
                               "1\t18071.13\tcomma, inside\n" +
                               "2\t-0.01\t\"quote \"\" inside\"\n" +
                               "3\t\t\"\"\n" +
                               "4\t0.10\t\n" +
                               "5\t2.50\tsemi; colon\n";

    private const string Csv = "id,amount,note\n" +
                               "1,18071.13,\"comma, inside\"\n" +
                               "2,-0.01,\"quote \"\" inside\"\n" +
                               "3,,\"\"\n" +
                               "4,0.10,\n" +
                               "5,2.50,semi; colon\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-cli-dialect-").FullName;

    private Dictionary<string, string> Env => new() { ["SLUICE_HOME"] = Path.Combine(_dir, "home") };

    [Fact]
    public async Task A_tsv_file_converted_to_csv_is_written_with_commas_and_validates()
    {
        var output = Path.Combine(_dir, "out.csv");

        var (code, _, stderr) = await CliProcess.RunAsync(Env, "convert", Write("in.tsv", Tsv), output, "--validate");

        Assert.True(code == 0, stderr);
        Assert.Equal(Csv, await File.ReadAllTextAsync(output));
        Assert.Equal("passed", JsonDocument.Parse(File.ReadAllText(output + ".validation.json")).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_csv_file_converted_to_a_tsv_name_or_with_to_tsv_is_written_with_tabs()
    {
        var named = Path.Combine(_dir, "out.tsv");
        var told = Path.Combine(_dir, "out.data");

        var byName = await CliProcess.RunAsync(Env, "convert", Write("in.csv", Csv), named, "--validate");
        var byOption = await CliProcess.RunAsync(Env, "convert", Path.Combine(_dir, "in.csv"), told, "--to", "tsv");

        Assert.True(byName.ExitCode == 0, byName.StdErr);
        Assert.Contains("5 rows match", byName.StdErr, StringComparison.Ordinal);
        Assert.True(byOption.ExitCode == 0, byOption.StdErr);
        // A tab-separated target quotes what holds a tab, a quote or a line break; commas and semicolons are plain text.
        var tabs = "id\tamount\tnote\n1\t18071.13\tcomma, inside\n2\t-0.01\t\"quote \"\" inside\"\n3\t\t\"\"\n4\t0.10\t\n5\t2.50\tsemi; colon\n";
        Assert.Equal((tabs, tabs), (await File.ReadAllTextAsync(named), await File.ReadAllTextAsync(told)));
    }

    [Fact]
    public async Task The_dialect_options_write_a_semicolon_csv_without_header_with_a_null_text_that_validates()
    {
        var output = Path.Combine(_dir, "out.csv");

        var (code, _, stderr) = await CliProcess.RunAsync(Env,
            "convert", Write("in.tsv", Tsv), output, "--delimiter", ";", "--no-header", "--null", "NULL", "--validate");

        Assert.True(code == 0, stderr);
        Assert.Equal("1;18071.13;comma, inside\n2;-0.01;\"quote \"\" inside\"\n3;NULL;\"\"\n4;0.10;NULL\n5;2.50;\"semi; colon\"\n",
            await File.ReadAllTextAsync(output));
        Assert.Contains("5 rows match", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("out.parquet", "--delimiter applies to CSV output; ", "--delimiter", ";")]
    [InlineData("out.jsonl", "--no-header applies to CSV output; ", "--no-header")]
    [InlineData("out.csv", "--delimiter: delimiter and quote are both '\"'; they must differ", "--delimiter", "\"")]
    [InlineData("out.csv", "--quote: delimiter and quote are both ','; they must differ", "--quote", ",")]
    [InlineData("out.csv", "--delimiter ';;' is not a single character; write one character; a tab as \"\\t\" or tab.", "--delimiter", ";;")]
    [InlineData("out.csv", "--null: 'a,b' holds the delimiter", "--null", "a,b")]
    public async Task A_dialect_option_that_cannot_apply_is_refused_saying_what_to_do(string output, string message, params string[] options)
    {
        var target = Path.Combine(_dir, output);

        var (code, _, stderr) = await CliProcess.RunAsync(Env, ["convert", Write("in.tsv", Tsv), target, .. options]);

        Assert.Equal(1, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public async Task Convert_help_explains_the_output_dialect_options()
    {
        var (code, stdout, _) = await CliProcess.RunAsync(Env, "convert", "--help");

        Assert.Equal(0, code);
        Assert.Contains("CSV output has its own dialect", stdout, StringComparison.Ordinal);
        Assert.All(["--delimiter", "--quote", "--no-header", "--null"], option => Assert.Contains(option, stdout, StringComparison.Ordinal));
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
