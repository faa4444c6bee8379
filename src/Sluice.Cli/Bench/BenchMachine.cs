using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Sluice.Cli.Bench;

/// <summary>A description of the machine for benchmark reports: CPU, cores, memory, OS, runtime, PostgreSQL.</summary>
internal static class BenchMachine
{
    public static string Describe(string? postgresVersion)
    {
        var cpu = ReadFirst("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memKb = ReadFirst("/proc/meminfo", "MemTotal")?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        var mem = long.TryParse(memKb, out var kb) ? $"{kb / 1024 / 1024.0:0.0} GiB" : "unknown";
        return $"""
            | | |
            |---|---|
            | CPU | {cpu}, {Environment.ProcessorCount} cores |
            | memory | {mem} |
            | OS | {RuntimeInformation.OSDescription} |
            | .NET | {RuntimeInformation.FrameworkDescription} |
            | PostgreSQL | {postgresVersion ?? "unknown"} |
            | date | {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC |
            """;
    }

    private static string? ReadFirst(string file, string key)
    {
        try
        {
            return File.ReadLines(file).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        }
        catch (IOException) { return null; }
    }

    /// <summary>Peak resident set size of a running process, in MiB, from /proc (VmHWM).</summary>
    public static double? PeakRssMiB(int pid)
    {
        var line = ReadFirst($"/proc/{pid}/status", "VmHWM");
        return line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], out var kb) ? kb / 1024.0 : null;
    }

    public static async Task<(int Code, string Out, string Err, double Seconds)> RunAsync(string program, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? env, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        sw.Stop();
        return (p.ExitCode, await stdout, await stderr, sw.Elapsed.TotalSeconds);
    }
}
