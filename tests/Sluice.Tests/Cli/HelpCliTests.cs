using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Cli;

/// <summary>The help the real <c>sluice</c> program gives.</summary>
public sealed class HelpCliTests
{
    [Fact]
    public async Task Help_as_a_command_shows_the_root_help_and_the_help_of_a_command_named_after_it()
    {
        var root = await CliProcess.RunAsync(new Dictionary<string, string>(), "help");
        var jobs = await CliProcess.RunAsync(new Dictionary<string, string>(), "help", "jobs");

        Assert.Equal(0, root.ExitCode);
        Assert.Contains("Quick start:  ./sluice demo", root.StdOut);
        Assert.DoesNotContain("not matched", root.StdErr);
        Assert.Equal(0, jobs.ExitCode);
        Assert.Contains("List jobs, newest first.", jobs.StdOut);
        Assert.Contains("--limit", jobs.StdOut);
    }

    [Fact]
    public async Task Replay_help_names_the_stages_a_convert_job_starts_from_too()
    {
        var (code, stdout, _) = await CliProcess.RunAsync(new Dictionary<string, string>(), "replay", "--help");

        Assert.Equal(0, code);
        Assert.Contains("download, transform, load, publish or notify", stdout);
        Assert.Contains("a convert job: download, convert, validate, publish or notify", stdout);
    }
    [Fact]
    public async Task A_command_line_mistake_says_what_is_wrong_in_one_line_and_where_the_help_is_without_printing_it()
    {
        var status = await CliProcess.RunAsync(new Dictionary<string, string>(), "jobs", "--status", "bogus");
        var missing = await CliProcess.RunAsync(new Dictionary<string, string>(), "keys", "create");

        Assert.Equal(1, status.ExitCode);
        Assert.Equal("", status.StdOut);
        Assert.Equal(["error: Argument 'bogus' not recognized. Must be one of: 'queued' 'running' 'succeeded' 'failed'",
            "See `sluice jobs --help` for what it takes."], status.StdErr.TrimEnd().Split('\n'));
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal(["error: Option '--name' is required.", "error: Option '--role' is required.",
            "See `sluice keys create --help` for what it takes."], missing.StdErr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Bench_convert_refuses_a_compression_it_does_not_measure_instead_of_measuring_zstd()
    {
        var dir = Directory.CreateTempSubdirectory("sluice-cli-bench-").FullName;
        try
        {
            var (code, stdout, stderr) = await CliProcess.RunAsync(new Dictionary<string, string> { ["SLUICE_HOME"] = dir },
                "bench", "convert", "--compression", "gzip", "--rows", "1000", "--runs", "1", "--dir", dir);

            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            Assert.StartsWith("error: Argument 'gzip' not recognized. Must be one of: 'zstd' 'snappy'", stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
