using System.CommandLine;
using System.Runtime.InteropServices;
using Sluice.Cli.Output;
using Sluice.Configuration;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Observability;
using Sluice.Pipelines;

namespace Sluice.Cli.Commands;

/// <summary>
/// Shared plumbing of every command: settings from the environment, the control plane, the pipeline catalog,
/// SIGINT/SIGTERM turned into cancellation, and user errors printed as one clear message (no stack trace).
/// </summary>
internal static class CliAction
{
    public const int Failed = 1;
    public const int UsageError = 2;

    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> body)
    {
        using var cts = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        try
        {
            return await body(cts.Token);
        }
        catch (PipelineException e)
        {
            Terminal.Line($"error: the pipeline definitions have {e.Errors.Count} problem(s):");
            foreach (var err in e.Errors) Terminal.Line("  " + err);
            return Failed;
        }
        catch (SluiceException e)
        {
            Terminal.Line($"error: {e.Message}");
            return Failed;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Terminal.Line("stopped.");
            return 130;
        }
        // A file another process holds, a folder without permission, a full disk: the system's own sentence names the
        // path, and is the user's to act on.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Terminal.Line($"error: {e.Message.TrimEnd('.')}. Check that the path exists and may be read and written, and that no other " +
                          "process holds the file open, then run the command again.");
            return Failed;
        }
    }

    /// <summary>The settings from the environment, the log settings checked with them (a bad one is refused at once).</summary>
    public static SluiceSettings Settings()
    {
        JobLog.ReadEnvironment();
        return SluiceSettings.FromEnvironment();
    }

    /// <summary>Who runs this command, as the audit log and a replay's attempt record it.</summary>
    public static string Who() => $"cli:{Environment.UserName}@{Environment.MachineName}";

    /// <summary>Records a change made from the command line in the audit log.</summary>
    public static Task AuditAsync(ControlPlane cp, string action, string? target, System.Text.Json.Nodes.JsonObject detail, CancellationToken ct) =>
        new AuditLog(cp.DataSource).RecordAsync(Who(), null, action, target, "cli", null, detail, ct);

    /// <summary>A required <c>--older-than</c> period (a whole number and a unit: 30m, 12h, 7d).</summary>
    public static Option<string> OlderThan(string description) => new("--older-than") { Description = description, Required = true };

    /// <summary>The period given to <paramref name="option"/>, or an error naming it with <paramref name="examples"/>.</summary>
    public static TimeSpan Period(ParseResult parse, Option<string> option, string examples)
    {
        var text = parse.GetValue(option)!;
        return Durations.Parse(text)
               ?? throw new SluiceException("cli.period", $"{option.Name} '{text}' is not a period; give one such as {examples}.");
    }

    public static async Task<ControlPlane> OpenControlPlaneAsync(SluiceSettings settings, CancellationToken ct)
    {
        if (settings.DatabaseUrl is null && Terminal.IsInteractive)
            Terminal.Line($"using the embedded PostgreSQL under {settings.Home} (set SLUICE_DATABASE_URL to use another server)");
        return await ControlPlane.OpenAsync(settings, ct);
    }

    public static PipelineCatalog LoadCatalog(SluiceSettings settings) => PipelineLoader.LoadDirectory(settings.PipelinesDirectory);

    public static JobLog Log(LogLevel defaultLevel = LogLevel.Info) => JobLog.FromEnvironment(null, defaultLevel);
}
