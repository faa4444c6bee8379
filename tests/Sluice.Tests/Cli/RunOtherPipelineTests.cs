using Sluice.Samples;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Workflows;

namespace Sluice.Tests.Cli;

/// <summary><c>sluice run --pipeline</c> with content that is already another pipeline's job.</summary>
public sealed class RunOtherPipelineTests
{
    [Fact]
    public async Task Running_a_file_through_a_second_pipeline_says_it_is_the_first_ones_job_instead_of_reporting_that_job()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        env.WritePipeline("copy.yaml", PaymentsPipeline.Yaml(table: "public.payments_copy").Replace("name: payments", "name: copy")
            .Replace("payments/*.csv", "copies/*.csv"));
        var file = Path.Combine(env.Home, "same.csv");
        await File.WriteAllTextAsync(file, PaymentsCsv.Header + "\n1,1,1,1.00,EUR,2026-01-01 00:00:00,x,booked\n");
        var cli = env.CliEnvironment(logLevel: "info");

        Assert.Equal(0, (await CliProcess.RunAsync(cli, "run", file, "--pipeline", "payments")).ExitCode);
        var (code, stdout, stderr) = await CliProcess.RunAsync(cli, "run", file, "--pipeline", "copy", "--json");

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Contains("of pipeline payments, not copy", stderr);
        Assert.Contains("match: copies/*.csv", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }
}
