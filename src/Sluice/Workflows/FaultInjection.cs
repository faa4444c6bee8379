namespace Sluice.Workflows;

/// <summary>
/// Crash points for tests of crash recovery that cannot be timed from outside: with
/// <c>SLUICE_FAULT=&lt;point&gt;</c> in its environment, the process dies at once (as if SIGKILLed) when it reaches
/// that point. Points: <c>load.commit</c> (rows and ledger committed, stage not yet recorded).
/// Unset in normal operation, where this costs one string comparison.
/// </summary>
public static class FaultInjection
{
    private static readonly string? Point = Environment.GetEnvironmentVariable("SLUICE_FAULT");

    public static void After(string point)
    {
        if (Point is not null && string.Equals(Point, point, StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"SLUICE_FAULT: killing this process after {point}");
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        }
    }
}
