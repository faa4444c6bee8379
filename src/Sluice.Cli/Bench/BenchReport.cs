using Sluice.Cli.Output;

namespace Sluice.Cli.Bench;

/// <summary>Where a benchmark's markdown report goes: the file (its folder made if needed), and stdout.</summary>
internal static class BenchReport
{
    public static async Task WriteAsync(string path, string report, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, report, ct);
        Console.Out.WriteLine(report);
        Terminal.Line($"report written to {path}");
    }
}
