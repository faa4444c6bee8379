using System.Text.Json;
using Sluice.Samples;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Workflows;

namespace Sluice.Tests.Cli;

public sealed class CliTests
{
    private static Dictionary<string, string> Env(TestEnvironment env) => env.CliEnvironment(logLevel: "info");

    [Fact]
    public async Task Run_loads_a_file_and_prints_only_the_finished_job_as_json()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var dir = Path.Combine(env.Home, "incoming", "payments");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "run.csv");
        var summary = PaymentsCsv.Write(file, 2_000, seed: 11);

        var (code, stdout, stderr) = await CliProcess.RunAsync(Env(env), "run", file, "--json");

        Assert.True(code == 0, $"exit {code}: {stderr}");
        using var doc = JsonDocument.Parse(stdout);
        var job = doc.RootElement;
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal("payments", job.GetProperty("pipeline").GetString());
        Assert.Equal("load", job.GetProperty("workflow").GetString());
        Assert.Equal(1, job.GetProperty("attempt").GetInt32());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("error").ValueKind);
        Assert.Equal(2_000, job.GetProperty("counts").GetProperty("read").GetInt64());
        Assert.Equal(2_000, job.GetProperty("counts").GetProperty("loaded").GetInt64());
        var stages = job.GetProperty("stages").EnumerateArray().ToList();
        Assert.Equal(5, stages.Count);
        Assert.All(stages, s =>
        {
            Assert.Equal("succeeded", s.GetProperty("status").GetString());
            Assert.Equal(1, s.GetProperty("attempt").GetInt32());
            Assert.NotEqual(JsonValueKind.Null, s.GetProperty("started_at").ValueKind);
            Assert.NotEqual(JsonValueKind.Null, s.GetProperty("finished_at").ValueKind);
        });
        Assert.Equal(PaymentsCsv.FormatCents(summary.AmountCents), await env.ScalarAsync<string>("select sum(amount)::text from public.payments"));

        // The same file again is the same job, reported, not loaded twice.
        var again = await CliProcess.RunAsync(Env(env), "run", file, "--json");
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(job.GetProperty("id").GetString(), JsonDocument.Parse(again.StdOut).RootElement.GetProperty("id").GetString());
        Assert.Contains("already arrived", again.StdErr);
        Assert.Equal(2_000L, await env.ScalarAsync<long>("select count(*) from public.payments"));

        var shown = await CliProcess.RunAsync(Env(env), "job", job.GetProperty("id").GetString()!, "--logs");
        Assert.Equal(0, shown.ExitCode);
        Assert.Contains("loaded 2,000 rows into \"public\".\"payments\"", shown.StdOut);
    }

    [Fact]
    public async Task Run_of_a_file_another_process_holds_locked_says_so_in_one_sentence_without_a_stack_trace()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var file = Path.Combine(env.Home, "held.csv");
        PaymentsCsv.Write(file, 10, seed: 12);
        // .NET takes an exclusive lock on a file opened without sharing; another .NET process cannot open it meanwhile.
        await using var held = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None);

        var (code, _, stderr) = await CliProcess.RunAsync(Env(env), "run", file, "--pipeline", "payments");

        Assert.Equal(1, code);
        Assert.True(stderr.Trim().StartsWith($"error: cannot read {file} (taken as inbox/held.csv): ", StringComparison.Ordinal), stderr);
        Assert.Contains("because it is being used by another process; if another program is still writing it, run again once it is done.", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_exits_non_zero_when_the_job_fails()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var file = Path.Combine(env.Home, "bad.csv");
        await File.WriteAllTextAsync(file, PaymentsCsv.Header + "\nnot-a-number,1,1,1.00,EUR,2026-01-01 00:00:00,x,booked\n");

        var (code, stdout, _) = await CliProcess.RunAsync(Env(env), "run", file, "--pipeline", "payments", "--json");

        Assert.Equal(1, code);
        var job = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("rejects.threshold", job.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_pipeline_error_names_the_file_line_and_key_without_a_stack_trace()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("broken.yaml", "name: broken\non: { bucket: inbox, match: \"*.csv\" }\ntarget: { table: t, mode: apend }\n");

        var (code, _, stderr) = await CliProcess.RunAsync(Env(env), "pipelines", "validate");

        Assert.Equal(1, code);
        Assert.Contains("broken.yaml:3:", stderr);
        Assert.Contains("target.mode", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task Validate_prints_a_duplicate_key_together_with_the_other_errors_of_the_file()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("broken.yaml", "name: broken\non: { bucket: inbox }\ntarget: { table: t, mode: apend }\ntarget: { table: u }\n");

        var (code, _, stderr) = await CliProcess.RunAsync(Env(env), "pipelines", "validate");

        Assert.Equal(1, code);
        Assert.Contains("the pipeline definitions have 2 problem(s)", stderr);
        Assert.Contains("broken.yaml:4:1: target: duplicate key 'target' (first at line 3)", stderr);
        Assert.Contains("broken.yaml:3:27: target.mode:", stderr);
    }

    [Fact]
    public async Task Help_lists_the_commands()
    {
        var (code, stdout, _) = await CliProcess.RunAsync(new Dictionary<string, string>(), "--help");

        Assert.Equal(0, code);
        foreach (var command in new[] { "demo", "run", "serve", "worker", "jobs", "job", "pipelines", "db" })
            Assert.Contains(command, stdout);
    }

    [Fact]
    public async Task An_unreachable_database_is_one_clear_sentence()
    {
        var (code, _, stderr) = await CliProcess.RunAsync(new Dictionary<string, string>
        {
            ["SLUICE_DATABASE_URL"] = "postgresql://sluice:hunter2@127.0.0.1:1/nothing",
        }, "jobs");

        Assert.Equal(1, code);
        Assert.Contains("cannot reach PostgreSQL at 127.0.0.1:1/nothing", stderr);
        Assert.Contains("SLUICE_DATABASE_URL", stderr);
        Assert.DoesNotContain("hunter2", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task Replay_from_the_CLI_is_a_new_attempt_and_bulk_replay_picks_up_fixed_failures()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var file = env.WritePaymentsFile("r.csv", 100, seed: 2);
        var first = await CliProcess.RunAsync(Env(env), "run", file, "--json");
        var id = JsonDocument.Parse(first.StdOut).RootElement.GetProperty("id").GetString()!;

        var replay = await CliProcess.RunAsync(Env(env), "replay", id[..13], "--from", "load", "--reason", "target restored", "--json");

        Assert.True(replay.ExitCode == 0, replay.StdErr);
        var job = JsonDocument.Parse(replay.StdOut).RootElement;
        Assert.Equal(2, job.GetProperty("attempt").GetInt32());
        var attempt = job.GetProperty("attempts")[1];
        Assert.Equal("load", attempt.GetProperty("from_stage").GetString());
        Assert.Equal("target restored", attempt.GetProperty("reason").GetString());
        Assert.StartsWith("cli:", attempt.GetProperty("requested_by").GetString());
        Assert.Equal(100L, await env.ScalarAsync<long>("select count(*) from public.payments"));

        // A job failing on bad rows, then the pipeline fixed (threshold raised): bulk replay makes it succeed.
        var bad = Path.Combine(env.Home, "payments", "bad.csv");
        await File.WriteAllTextAsync(bad, PaymentsCsv.Header + "\n500,1,1,1.00,EUR,2026-01-01 00:00:00,x,booked\n501,1,1,oops,EUR,2026-01-01 00:00:00,x,booked\n");
        Assert.Equal(1, (await CliProcess.RunAsync(Env(env), "run", bad)).ExitCode);
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml("rejects: { max_rows: 1 }"));

        var bulk = await CliProcess.RunAsync(Env(env), "replay", "--failed", "--pipeline", "payments", "--json");

        Assert.True(bulk.ExitCode == 0, bulk.StdErr);
        var replayed = Assert.Single(JsonDocument.Parse(bulk.StdOut).RootElement.GetProperty("jobs").EnumerateArray());
        Assert.Equal("succeeded", replayed.GetProperty("status").GetString());
        Assert.Equal("transform", replayed.GetProperty("attempts")[1].GetProperty("from_stage").GetString());
        Assert.Equal(1, replayed.GetProperty("counts").GetProperty("rejected").GetInt64());
        Assert.Equal(101L, await env.ScalarAsync<long>("select count(*) from public.payments"));
    }
}
