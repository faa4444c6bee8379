using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Cli;

/// <summary>Log settings a command cannot use are refused at start, naming the variable (they were ignored).</summary>
public sealed class LogSettingsTests
{
    [Theory]
    [InlineData("SLUICE_LOG_LEVEL", "loud", "SLUICE_LOG_LEVEL 'loud' is not a level; use debug, info, warn or error")]
    [InlineData("SLUICE_LOG_FORMAT", "yaml", "SLUICE_LOG_FORMAT 'yaml' is not a format; use json or plain")]
    public async Task A_log_setting_that_is_not_one_is_refused_naming_it_without_a_stack_trace(string variable, string value, string expected)
    {
        await using var env = await TestEnvironment.CreateAsync();
        var vars = env.CliEnvironment(logLevel: "info");
        vars[variable] = value;

        var (code, _, stderr) = await CliProcess.RunAsync(vars, "history", "prune", "--older-than", "90d", "--dry-run");

        Assert.Equal(1, code);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("   at ", stderr);
    }
}
