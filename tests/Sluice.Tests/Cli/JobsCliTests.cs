using Sluice.Samples;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Workflows;

namespace Sluice.Tests.Cli;

/// <summary>The real <c>sluice jobs</c> command: its limits and what it says when nothing is listed.</summary>
public sealed class JobsCliTests
{
    [Theory]
    [InlineData("-5", "--limit -5 is out of range; give a whole number of 1 or more.")]
    [InlineData("0", "--limit 0 is out of range; give a whole number of 1 or more.")]
    [InlineData("abc", "--limit 'abc' is not a whole number; give a whole number of 1 or more.")]
    public async Task Jobs_refuses_a_limit_below_one_and_says_the_accepted_range(string limit, string message)
    {
        var (code, _, stderr) = await CliProcess.RunAsync(new Dictionary<string, string>(), "jobs", "--limit", limit);

        Assert.NotEqual(0, code);
        Assert.Contains(message, stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task Jobs_says_no_job_matches_the_filters_when_jobs_exist_but_none_match()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var file = Path.Combine(env.Home, "payments", "a.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        PaymentsCsv.Write(file, 10, seed: 3);
        Assert.Equal(0, (await CliProcess.RunAsync(env.CliEnvironment(), "run", file)).ExitCode);

        var (code, stdout, _) = await CliProcess.RunAsync(env.CliEnvironment(), "jobs", "--status", "failed");

        Assert.Equal(0, code);
        Assert.Contains("no job matches these filters", stdout);
        Assert.DoesNotContain("no jobs yet", stdout);
    }
}
