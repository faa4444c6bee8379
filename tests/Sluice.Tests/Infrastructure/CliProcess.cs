using System.Diagnostics;
using System.Text;

namespace Sluice.Tests.Infrastructure;

/// <summary>Runs the real <c>sluice</c> program (built next to the tests) as a separate process.</summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;
    public string StdOut { get { lock (_stdout) return _stdout.ToString(); } }
    public string StdErr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Raised for every stderr line (workers log there), so tests can wait on a signal.</summary>
    public event Action<string>? ErrorLine;

    public static CliProcess Start(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sluice.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        psi.Environment["CI"] = "true";
        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var cli = new CliProcess(p);
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (cli._stdout) cli._stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (cli._stderr) cli._stderr.AppendLine(e.Data);
            cli.ErrorLine?.Invoke(e.Data);
        };
        p.Exited += (_, _) => cli._exited.TrySetResult();
        p.Start();
        p.StandardInput.Close();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return cli;
    }

    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        using var p = Start(env, args);
        var code = await p.WaitForExitAsync(TimeSpan.FromMinutes(3));
        return (code, p.StdOut, p.StdErr);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _exited.Task.WaitAsync(timeout);
        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    /// <summary>Waits until the process writes a stderr line containing <paramref name="contains"/> (or has already).</summary>
    public async Task WaitForErrorLineAsync(string contains, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ErrorLine += line => { if (line.Contains(contains, StringComparison.Ordinal)) seen.TrySetResult(); };
        if (StdErr.Contains(contains, StringComparison.Ordinal)) seen.TrySetResult();
        try { await seen.Task.WaitAsync(timeout); }
        catch (TimeoutException) { throw new TimeoutException($"no line with '{contains}' in {timeout.TotalSeconds:0}s; the process wrote:\n{StdErr}"); }
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString()]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited) { try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }
        _process.Dispose();
    }
}
