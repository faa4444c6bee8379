using System.Text.Json;
using Sluice.Samples;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Workflows;

namespace Sluice.Tests.Cli;

/// <summary>The real <c>sluice replay</c> command: what it refuses, and what it prints with --json.</summary>
public sealed class ReplayCliTests
{
    [Theory]
    [InlineData("give a job id or --failed, not both", "replay", "01a2b3c4", "--failed")]
    [InlineData("--pipeline and --since choose which failed jobs --failed replays", "replay", "01a2b3c4", "--from", "load", "--pipeline", "payments")]
    [InlineData("--pipeline and --since choose which failed jobs --failed replays", "replay", "01a2b3c4", "--from", "load", "--since", "2026-11-29T08:00Z")]
    public async Task Replay_refuses_options_that_would_be_ignored(string message, params string[] args)
    {
        var (code, _, stderr) = await CliProcess.RunAsync(new Dictionary<string, string>(), args);

        Assert.Equal(1, code);
        Assert.Contains("error: " + message, stderr);
    }

    [Fact]
    public async Task Replay_with_enqueue_and_json_prints_the_job_the_new_attempt_and_the_stage()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var id = await RunAsync(env, "good.csv", PaymentsCsv.Header + "\n1,1,1,1.00,EUR,2026-01-01 00:00:00,x,booked\n");

        var (code, stdout, stderr) = await CliProcess.RunAsync(env.CliEnvironment(), "replay", id, "--from", "load", "--enqueue", "--json");

        Assert.True(code == 0, stderr);
        var queued = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(id, queued.GetProperty("job_id").GetString());
        Assert.Equal(2, queued.GetProperty("attempt").GetInt32());
        Assert.Equal("load", queued.GetProperty("from").GetString());
    }

    [Fact]
    public async Task Bulk_replay_with_json_lists_the_refused_jobs_and_exits_non_zero_when_every_replay_was_refused()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var id = await RunAsync(env, "bad.csv", PaymentsCsv.Header + "\nnot-a-number,1,1,1.00,EUR,2026-01-01 00:00:00,x,booked\n");

        var (code, stdout, stderr) = await CliProcess.RunAsync(env.CliEnvironment(), "replay", "--failed", "--from", "merge", "--json");

        Assert.Equal(1, code);
        var outcome = JsonDocument.Parse(stdout).RootElement;
        Assert.Empty(outcome.GetProperty("replayed").EnumerateArray());
        var refused = Assert.Single(outcome.GetProperty("refused").EnumerateArray());
        Assert.Equal(id, refused.GetProperty("job_id").GetString());
        Assert.Equal("replay.stage", refused.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("none of the 1 failed job(s) was replayed", stderr);
        Assert.DoesNotContain("no failed jobs to replay", stderr);

        var none = await CliProcess.RunAsync(env.CliEnvironment(), "replay", "--failed", "--pipeline", "other", "--json");

        Assert.Equal(0, none.ExitCode);
        var empty = JsonDocument.Parse(none.StdOut).RootElement;
        Assert.Empty(empty.GetProperty("replayed").EnumerateArray());
        Assert.Empty(empty.GetProperty("refused").EnumerateArray());
        Assert.Contains("no failed jobs to replay", none.StdErr);
    }

    private static async Task<string> RunAsync(TestEnvironment env, string name, string csv)
    {
        var file = Path.Combine(env.Home, "payments", name);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, csv);
        var run = await CliProcess.RunAsync(env.CliEnvironment(), "run", file, "--json");
        return JsonDocument.Parse(run.StdOut).RootElement.GetProperty("id").GetString()!;
    }
}
