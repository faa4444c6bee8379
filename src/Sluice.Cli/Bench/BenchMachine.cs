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

    /// <summary>
    /// Milliseconds one core takes to sort 4 million pseudo-random 64-bit integers (fixed seed; best of three): a
    /// yardstick for how fast this machine's cores were at the time. On a shared virtual machine the same build measures
    /// a fifth to half slower from one hour to the next with no steal time shown; the reference, taken next to the
    /// measurement, shows it.
    /// </summary>
    public static double CpuReferenceMs()
    {
        var source = new long[4 << 20];
        var random = new Random(42);
        for (var i = 0; i < source.Length; i++) source[i] = random.NextInt64();
        var work = new long[source.Length];
        var best = double.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            source.CopyTo(work, 0);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            Array.Sort(work);
            best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
        }
        return best;
    }

    /// <summary>Peak resident set size of a running process, in MiB, from /proc (VmHWM).</summary>
    public static double? PeakRssMiB(int pid)
    {
        var line = ReadFirst($"/proc/{pid}/status", "VmHWM");
        return line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], out var kb) ? kb / 1024.0 : null;
    }

    /// <summary>CPU seconds (user + system) a process has used so far; with <paramref name="children"/>, also those of
    /// its children that have ended and been waited for (a PostgreSQL server's exited backends).</summary>
    public static double CpuSeconds(int pid, bool children = false)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name (which may hold spaces) in parentheses: utime is the 14th field overall.
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(f[11]) + long.Parse(f[12]) + (children ? long.Parse(f[13]) + long.Parse(f[14]) : 0);
            return ticks / 100.0; // USER_HZ is 100 on Linux
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return 0; }
    }

    /// <summary>CPU seconds used so far by every PostgreSQL process of the machine, including backends that ended.</summary>
    public static double PostgresCpuSeconds()
    {
        double total = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try { if (File.ReadAllText(Path.Combine(dir, "comm")).Trim() != "postgres") continue; }
            catch (IOException) { continue; }
            total += CpuSeconds(pid, children: true);
        }
        return total;
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
