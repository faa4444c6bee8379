using System.Runtime.InteropServices;

namespace Sluice.Workflows;

/// <summary>
/// Crash points for tests of crash recovery that cannot be timed from outside: with
/// <c>SLUICE_FAULT=&lt;point&gt;[@&lt;text&gt;]</c> in its environment, the process kills itself (as if SIGKILLed) when it
/// reaches that point, optionally only for jobs whose object key contains the text; with
/// <c>SLUICE_FAULT=stop:&lt;point&gt;[@&lt;text&gt;]</c> it stops itself instead (SIGSTOP, as a long pause would), to be
/// continued from outside. Points: <c>load.copying</c> (the first MiB of rows is in the COPY, the rest not yet),
/// <c>load.committing</c> (rows and ledger written, the lease proven and held, the commit not yet sent),
/// <c>load.commit</c> (rows and ledger committed, stage not yet recorded),
/// <c>&lt;stage&gt;.start</c> (a stage is about to run) and <c>express.next</c> (in the express lane, a stage succeeded
/// and the next is about to start). Unset in normal operation, where this costs one comparison.
/// </summary>
public static partial class FaultInjection
{
    private static readonly string? Setting = Environment.GetEnvironmentVariable("SLUICE_FAULT");

    /// <summary>Whether a fault point is set (for code that does extra work only to reach one).</summary>
    public static bool Armed => Setting is not null;

    public static void At(string point, string? objectKey = null)
    {
        if (Setting is null) return;
        var stop = Setting.StartsWith("stop:", StringComparison.Ordinal);
        var setting = stop ? Setting["stop:".Length..] : Setting;
        var at = setting.IndexOf('@');
        var wanted = at < 0 ? setting : setting[..at];
        if (!string.Equals(wanted, point, StringComparison.Ordinal)) return;
        if (at >= 0 && (objectKey is null || !objectKey.Contains(setting[(at + 1)..], StringComparison.Ordinal))) return;
        if (stop)
        {
            Console.Error.WriteLine($"SLUICE_FAULT: stopping this process at {point}");
            Console.Error.Flush();
            // raise() stops the whole process from this thread; the stop takes effect as the call returns, but other
            // threads may run on for a moment, so this thread waits a little before going on after the SIGCONT.
            Raise(SigStop);
            Thread.Sleep(100);
            return;
        }
        Console.Error.WriteLine($"SLUICE_FAULT: killing this process at {point}");
        System.Diagnostics.Process.GetCurrentProcess().Kill();
    }

    private const int SigStop = 19;   // Linux

    [LibraryImport("libc", EntryPoint = "raise")]
    private static partial int Raise(int signal);
}
