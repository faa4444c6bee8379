using System.CommandLine;
using Sluice.Cli.Bench;

namespace Sluice.Cli.Commands;

/// <summary>The <c>bench</c> group: one subcommand per benchmark, each in its own file under <c>Bench/</c>.</summary>
internal static class BenchCommand
{
    public static Command Create() =>
        new("bench", "Benchmarks against peer tools on this machine; results are printed as Markdown.")
        {
            ConvertBench.Create(),
        };
}
