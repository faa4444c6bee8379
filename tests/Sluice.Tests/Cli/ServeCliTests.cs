using System.Net;
using System.Net.Sockets;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Cli;

/// <summary>The real <c>sluice serve</c> and <c>sluice worker</c> commands: what they refuse, and how.</summary>
public sealed class ServeCliTests
{
    [Fact]
    public async Task Serve_on_an_address_in_use_says_so_in_one_line_and_exits_non_zero()
    {
        await using var env = await TestEnvironment.CreateAsync();
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var address = $"127.0.0.1:{((IPEndPoint)other.LocalEndpoint).Port}";

        var (code, _, stderr) = await CliProcess.RunAsync(env.CliEnvironment(), "serve", "--workers", "1", "--listen", address);

        Assert.Equal(1, code);
        Assert.Contains($"error: cannot listen on {address}: the address is in use", stderr);
        Assert.Contains("--listen HOST:PORT or SLUICE_LISTEN", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.DoesNotContain("worker(s)", stderr);
    }

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
