using System.Text.Json;

namespace Sluice.Observability;

/// <summary>
/// Structured log lines. Lines about a job carry its id and are also stored in the control plane
/// (<c>sluice.job_logs</c>), so <c>sluice job ID --logs</c> shows them whichever process wrote them.
/// Console output goes to stderr: plain <c>key=value</c> lines, or JSON lines with <c>SLUICE_LOG_FORMAT=json</c>.
/// </summary>
public sealed class JobLog(JobLogWriter? store, LogLevel consoleLevel, bool json, TextWriter? console = null)
{
    /// <summary>Messages as written (row's, café) rather than \u0027 and \u00E9, one line each.</summary>
    private static readonly JsonSerializerOptions LineJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TextWriter _console = console ?? Console.Error;
    private readonly Lock _gate = new();

    public static JobLog FromEnvironment(JobLogWriter? store, LogLevel defaultLevel)
    {
        var (level, json) = ReadEnvironment();
        return new JobLog(store, level ?? defaultLevel, json);
    }

    /// <summary>SLUICE_LOG_LEVEL (null when unset) and whether SLUICE_LOG_FORMAT is json; a value that is neither is
    /// refused, naming the variable, rather than ignored.</summary>
    public static (LogLevel? Level, bool Json) ReadEnvironment()
    {
        var setting = Environment.GetEnvironmentVariable("SLUICE_LOG_LEVEL");
        LogLevel? level = setting?.ToLowerInvariant() switch
        {
            "debug" => LogLevel.Debug, "info" => LogLevel.Info, "warn" or "warning" => LogLevel.Warn, "error" => LogLevel.Error,
            null or "" => null,
            _ => throw new Errors.SluiceException("settings.log_level",
                $"SLUICE_LOG_LEVEL '{Storage.ObjectKey.Printable(setting)}' is not a level; use debug, info, warn or error (or unset it)."),
        };
        var format = Environment.GetEnvironmentVariable("SLUICE_LOG_FORMAT");
        if (format is { Length: > 0 } && !format.Equals("json", StringComparison.OrdinalIgnoreCase) && !format.Equals("plain", StringComparison.OrdinalIgnoreCase))
            throw new Errors.SluiceException("settings.log_format",
                $"SLUICE_LOG_FORMAT '{Storage.ObjectKey.Printable(format)}' is not a format; use json or plain (or unset it).");
        return (level, string.Equals(format, "json", StringComparison.OrdinalIgnoreCase));
    }

    public JobLog WithStore(JobLogWriter store) => new(store, consoleLevel, json, _console);

    public void Write(LogLevel level, string message, Guid? jobId = null, string? stage = null, string? workerId = null)
    {
        if (level >= consoleLevel)
        {
            var now = DateTime.UtcNow;
            string line;
            if (json)
            {
                line = JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["at"] = now, ["level"] = level.ToString().ToLowerInvariant(), ["job_id"] = jobId, ["stage"] = stage,
                    ["worker_id"] = workerId, ["message"] = message,
                }, LineJson);
            }
            else
            {
                line = $"{now:HH:mm:ss.fff} {level.ToString().ToLowerInvariant(),-5}" +
                       (jobId is { } j ? $" job={j}" : "") + (stage is { } s ? $" stage={s}" : "") +
                       (workerId is { } w ? $" worker={w}" : "") + " " + message;
            }
            lock (_gate) _console.WriteLine(line);
        }
        if (jobId is { } id && store is not null && level >= LogLevel.Info)
            store.Write(id, level.ToString().ToLowerInvariant(), workerId, stage, message);
    }

    public void Info(string message, Guid? jobId = null, string? stage = null, string? workerId = null) => Write(LogLevel.Info, message, jobId, stage, workerId);
    public void Warn(string message, Guid? jobId = null, string? stage = null, string? workerId = null) => Write(LogLevel.Warn, message, jobId, stage, workerId);
    public void Error(string message, Guid? jobId = null, string? stage = null, string? workerId = null) => Write(LogLevel.Error, message, jobId, stage, workerId);
}
