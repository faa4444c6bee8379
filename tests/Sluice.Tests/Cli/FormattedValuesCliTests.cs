using System.Text.Json;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Cli;

/// <summary>Files whose dates and amounts are written the European way on the command line: <c>inspect</c> reads them as
/// text and suggests the schema entries that read them typed; <c>convert --schema</c> with those entries converts them
/// exactly.</summary>
public sealed class FormattedValuesCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-cli-inspect-").FullName;

    private Dictionary<string, string> Env => new() { ["SLUICE_HOME"] = Path.Combine(_dir, "home") };

    [Fact]
    public async Task Text_columns_of_european_dates_and_amounts_get_the_schema_entries_that_read_them()
    {
        var csv = Path.Combine(_dir, "eu.csv");
        await File.WriteAllTextAsync(csv, "id;booked_on;amount;note\n1;02.12.2026;1.234,56;a\n2;31.01.2025;-0,5;b\n3;01.02.2025;17,00;c\n");

        var text = await CliProcess.RunAsync(Env, "inspect", csv, "--rows", "0");
        var json = await CliProcess.RunAsync(Env, "inspect", csv, "--json");

        Assert.True(text.ExitCode == 0, text.StdErr);
        Assert.Contains("columns read as text whose values fit a format; to load them typed, declare in the pipeline's schema:\n" +
                        "  booked_on: { type: date, format: \"dd.MM.yyyy\" }\n" +
                        "  amount: { type: \"numeric(18,2)\", decimal: \",\", group: \".\" }\n", text.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("note:", text.StdErr, StringComparison.Ordinal);
        Assert.True(json.ExitCode == 0, json.StdErr);
        var hints = JsonDocument.Parse(json.StdOut).RootElement.GetProperty("format_hints");
        Assert.Equal(["booked_on", "amount"], hints.EnumerateArray().Select(h => h.GetProperty("column").GetString()));
    }

    [Fact]
    public async Task Convert_with_a_schema_file_of_formats_writes_iso_values_and_passes_validation()
    {
        var csv = Path.Combine(_dir, "eu.csv");
        await File.WriteAllTextAsync(csv, "id;booked_on;amount\n1;02.12.2026;1.234,56\n2;31.01.2025;-0,5\n");
        var schema = Path.Combine(_dir, "schema.yaml");
        await File.WriteAllTextAsync(schema, "schema:\n  id: bigint\n  booked_on: { type: date, format: dd.MM.yyyy }\n  amount: { type: \"numeric(14,2)\", decimal: \",\", group: \".\" }\n");
        var output = Path.Combine(_dir, "out.csv");

        var (code, _, stderr) = await CliProcess.RunAsync(Env, "convert", csv, output, "--schema", schema, "--validate");

        Assert.True(code == 0, stderr);
        Assert.Contains("2 rows match", stderr, StringComparison.Ordinal);
        Assert.Equal("id,booked_on,amount\n1,2026-12-02,1234.56\n2,2025-01-31,-0.50\n", await File.ReadAllTextAsync(output));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
