using Sluice.Observability;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Cli;

/// <summary>JSON for people and scripts keeps text as written: an apostrophe or an accent is not turned into \u0027 or \u00E9.</summary>
public sealed class JsonTextTests
{
    [Fact]
    public async Task Json_printed_by_a_command_keeps_apostrophes_and_accents_as_written()
    {
        var dir = Directory.CreateTempSubdirectory("sluice-json-text-").FullName;
        try
        {
            var file = Path.Combine(dir, "names.csv");
            await File.WriteAllTextAsync(file, "client's café,b\n1,2\n");

            var (code, stdout, _) = await CliProcess.RunAsync(new Dictionary<string, string> { ["SLUICE_HOME"] = Path.Combine(dir, "home") },
                "inspect", file, "--json");

            Assert.Equal(0, code);
            Assert.Contains("\"name\": \"client's café\"", stdout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_json_log_line_keeps_apostrophes_and_accents_as_written()
    {
        var console = new StringWriter();

        new JobLog(null, LogLevel.Info, json: true, console).Write(LogLevel.Info, "the client's café.csv arrived");

        Assert.Contains("\"message\":\"the client's café.csv arrived\"", console.ToString());
    }
}
