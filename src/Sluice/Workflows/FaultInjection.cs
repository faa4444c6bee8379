namespace Sluice.Workflows;

/// <summary>
/// Crash points for tests of crash recovery that cannot be timed from outside: with
/// <c>SLUICE_FAULT=&lt;point&gt;[@&lt;text&gt;]</c> in its environment, the process kills itself (as if SIGKILLed) when it
/// reaches that point, optionally only for jobs whose object key contains the text. Points: <c>load.commit</c> (rows
/// and ledger committed, stage not yet recorded) and <c>&lt;stage&gt;.start</c> (a stage is about to run).
/// Unset in normal operation, where this costs one comparison.
/// </summary>
public static class FaultInjection
{
    private static readonly string? Setting = Environment.GetEnvironmentVariable("SLUICE_FAULT");

    public static void At(string point, string? objectKey = null)
    {
        if (Setting is null) return;
        var at = Setting.IndexOf('@');
        var wanted = at < 0 ? Setting : Setting[..at];
        if (!string.Equals(wanted, point, StringComparison.Ordinal)) return;
        if (at >= 0 && (objectKey is null || !objectKey.Contains(Setting[(at + 1)..], StringComparison.Ordinal))) return;
        Console.Error.WriteLine($"SLUICE_FAULT: killing this process at {point}");
        System.Diagnostics.Process.GetCurrentProcess().Kill();
    }
}
