using System.Diagnostics;

namespace Sluice.Cli.Bench;

/// <summary>
/// A `sluice serve` child process for a benchmark, on a free port (it must not collide with a serve already running
/// on this machine), ready once it has printed its start line; killed when disposed.
/// </summary>
internal sealed class BenchServe : IDisposable
{
    private readonly Process _process;

    private BenchServe(Process process) => _process = process;

    public int Pid => _process.Id;

    /// <summary>What a benchmark's serve (and `sluice run`) processes run with: their own home and pipelines, the
    /// benchmark database, a 100 ms settle interval, warnings only, no terminal progress.</summary>
    public static Dictionary<string, string> Environment(string home, string pipelines, string databaseUrl) => new()
    {
        ["SLUICE_HOME"] = home,
        ["SLUICE_PIPELINES"] = pipelines,
        ["SLUICE_DATABASE_URL"] = databaseUrl,
        ["SLUICE_SETTLE_MS"] = "100",
        ["SLUICE_LOG_LEVEL"] = "warn",
        ["CI"] = "true",
    };

    public static async Task<BenchServe> StartAsync(string dllPath, int workers, IReadOnlyDictionary<string, string> env, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { dllPath, "serve", "--workers", workers.ToString(), "--listen", "127.0.0.1:0" }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var serve = new BenchServe(Process.Start(psi)!);
        try
        {
            serve._process.OutputDataReceived += (_, _) => { };
            serve._process.BeginOutputReadLine();
            var line = await serve._process.StandardError.ReadLineAsync(ct);
            while (line is not null && !line.StartsWith("sluice serve:", StringComparison.Ordinal))
                line = await serve._process.StandardError.ReadLineAsync(ct);
            if (line is null) throw new InvalidOperationException("sluice serve exited before it was ready");
            var stderr = serve._process.StandardError;
            _ = Task.Run(async () => { while (await stderr.ReadLineAsync(CancellationToken.None) is { } l) Console.Error.WriteLine("  serve: " + l); }, CancellationToken.None);
            return serve;
        }
        catch
        {
            serve.Dispose();
            throw;
        }
    }

    /// <summary>Peak resident set size so far (VmHWM), in MiB.</summary>
    public double? PeakRssMiB() => BenchMachine.PeakRssMiB(_process.Id);

    /// <summary>CPU seconds the serve process has used so far.</summary>
    public double CpuSeconds() => BenchMachine.CpuSeconds(_process.Id);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
