using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Cli;

/// <summary>The real <c>sluice serve</c> and <c>sluice worker</c> commands: what they refuse, and how.</summary>
public sealed class ServeCliTests
{
    [Theory]
    [InlineData("serve", "-1", "--workers -1 is out of range; give a whole number of 0 or more.")]
    [InlineData("worker", "0", "--workers 0 is out of range; give a whole number of 1 or more.")]
    [InlineData("worker", "-1", "--workers -1 is out of range; give a whole number of 1 or more.")]
    public async Task Serve_and_worker_refuse_a_number_of_workers_they_cannot_run(string command, string workers, string message)
    {
        var (code, _, stderr) = await CliProcess.RunAsync(new Dictionary<string, string>(), command, "--workers", workers);

        Assert.NotEqual(0, code);
        Assert.Contains(message, stderr);
    }
}
