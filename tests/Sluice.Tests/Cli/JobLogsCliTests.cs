using Sluice.Samples;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Workflows;

namespace Sluice.Tests.Cli;

public sealed class JobLogsCliTests
{
    [Fact]
    public async Task Logs_of_a_job_whose_lines_were_pruned_say_why_there_are_none_and_print_nothing_on_stdout()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        var file = Path.Combine(env.Home, "p.csv");
        await File.WriteAllTextAsync(file, PaymentsCsv.Header + "\n1,1,1,1.00,EUR,2026-01-01 00:00:00,x,booked\n");
        var cli = env.CliEnvironment(logLevel: "info");
        Assert.Equal(0, (await CliProcess.RunAsync(cli, "run", file, "--pipeline", "payments")).ExitCode);
        var job = await env.ScalarAsync<Guid>("select id from sluice.jobs");
        await env.ExecuteAsync("delete from sluice.job_logs");

        var (code, stdout, stderr) = await CliProcess.RunAsync(cli, "job", job.ToString(), "--logs");

        Assert.Equal((0, ""), (code, stdout));
        Assert.Contains("has no log lines kept", stderr);
        Assert.Contains("history prune", stderr);
    }
}
