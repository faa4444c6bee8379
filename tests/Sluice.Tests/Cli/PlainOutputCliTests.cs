using Sluice.Tests.Infrastructure;
using Sluice.Tests.Workflows;

namespace Sluice.Tests.Cli;

/// <summary>What the CLI prints for people when its stdout is a pipe or a file, as it is for these processes.</summary>
public sealed class PlainOutputCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-cli-plain-").FullName;

    [Fact]
    public async Task A_table_on_a_pipe_is_a_header_and_one_plain_line_per_row_without_borders_or_padding()
    {
        var pipelines = Directory.CreateDirectory(Path.Combine(_dir, "pipelines")).FullName;
        File.WriteAllText(Path.Combine(pipelines, "payments.yaml"), PaymentsPipeline.Yaml());

        var (code, stdout, stderr) = await CliProcess.RunAsync(
            new Dictionary<string, string> { ["SLUICE_HOME"] = Path.Combine(_dir, "home"), ["SLUICE_PIPELINES"] = pipelines }, "pipelines", "list");

        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.None).Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal("", lines[^1]);
        lines.RemoveAt(lines.Count - 1);
        Assert.Equal(2, lines.Count);
        Assert.StartsWith("name ", lines[0]);
        Assert.StartsWith("payments ", lines[1]);
        Assert.Matches(@"^name\s+bucket\s+match\s+workflow\s+reads\s+target\s+file$", lines[0]);
        Assert.Matches(@"^payments\s+inbox\s+payments/\*\.csv\s+load\s+csv\s+public\.payments \(append\)\s", lines[1]);
        Assert.All(lines, l => Assert.Equal(l.TrimEnd(), l));
        Assert.DoesNotContain('─', stdout);
    }

    [Fact]
    public async Task Pipelines_list_shows_that_a_tsv_pipeline_reads_csv_with_a_tab()
    {
        var pipelines = Directory.CreateDirectory(Path.Combine(_dir, "pipelines")).FullName;
        File.WriteAllText(Path.Combine(pipelines, "tabs.yaml"),
            "name: tabs\non: { bucket: inbox, match: \"tabs/*.tsv\" }\nsource: { format: tsv }\ntarget: { table: public.tabs }\n");

        var (code, stdout, stderr) = await CliProcess.RunAsync(
            new Dictionary<string, string> { ["SLUICE_HOME"] = Path.Combine(_dir, "home"), ["SLUICE_PIPELINES"] = pipelines }, "pipelines", "list");

        Assert.True(code == 0, stderr);
        Assert.Matches(@"\ntabs\s+inbox\s+tabs/\*\.tsv\s+load\s+csv \(tab\)\s+public\.tabs \(append\)\s", stdout);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
