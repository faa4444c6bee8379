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
        var file = env.WritePaymentsFile("a.csv", 10, seed: 3);
        Assert.Equal(0, (await CliProcess.RunAsync(env.CliEnvironment(), "run", file)).ExitCode);

        var (code, stdout, _) = await CliProcess.RunAsync(env.CliEnvironment(), "jobs", "--status", "failed");

        Assert.Equal(0, code);
        Assert.Contains("no job matches these filters", stdout);
        Assert.DoesNotContain("no jobs yet", stdout);
    }

    [Fact]
    public async Task Job_and_replay_say_a_prefix_several_jobs_share_is_ambiguous_not_missing()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var ids = new List<string>();
        foreach (var name in new[] { "a.csv", "b.csv" })
        {
            var file = env.WritePaymentsFile(name, 10, seed: name[0]);
            var run = await CliProcess.RunAsync(env.CliEnvironment(), "run", file, "--json");
            ids.Add(System.Text.Json.JsonDocument.Parse(run.StdOut).RootElement.GetProperty("id").GetString()!);
        }
        // Job ids start with their creation time, so two jobs made a moment apart share their first characters.
        var shared = new string(ids[0].Zip(ids[1]).TakeWhile(p => p.First == p.Second).Select(p => p.First).ToArray());
        Assert.True(shared.Length >= 4, $"{ids[0]} and {ids[1]} share too little to test with");

        // However short: three characters two jobs share are not "no job matches".
        foreach (var prefix in new[] { shared, shared[..3] })
        {
            var job = await CliProcess.RunAsync(env.CliEnvironment(), "job", prefix);
            var replay = await CliProcess.RunAsync(env.CliEnvironment(), "replay", prefix, "--from", "load");

            foreach (var (code, _, stderr) in new[] { job, replay })
            {
                Assert.Equal(1, code);
                Assert.Contains($"error: '{prefix}' is the start of 2 job ids; give more characters of the id.", stderr);
            }
        }
    }
}
