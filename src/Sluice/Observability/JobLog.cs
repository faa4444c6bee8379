using System.Text.Json;

namespace Sluice.Observability;

/// <summary>
/// Structured log lines. Lines about a job carry its id and are also stored in the control plane
/// (<c>sluice.job_logs</c>), so <c>sluice job ID --logs</c> shows them whichever process wrote them.
/// Console output goes to stderr: plain <c>key=value</c> lines, or JSON lines with <c>SLUICE_LOG_FORMAT=json</c>.
/// </summary>
public sealed class JobLog(JobLogWriter? store, LogLevel consoleLevel, bool json, TextWriter? console = null)
{
    private readonly TextWriter _console = console ?? Console.Error;
    private readonly Lock _gate = new();

    public static JobLog FromEnvironment(JobLogWriter? store, LogLevel defaultLevel)
    {
        var level = Environment.GetEnvironmentVariable("SLUICE_LOG_LEVEL")?.ToLowerInvariant() switch
        {
            "debug" => LogLevel.Debug, "info" => LogLevel.Info, "warn" or "warning" => LogLevel.Warn, "error" => LogLevel.Error,
            _ => defaultLevel,
        };
        var json = string.Equals(Environment.GetEnvironmentVariable("SLUICE_LOG_FORMAT"), "json", StringComparison.OrdinalIgnoreCase);
        return new JobLog(store, level, json);
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
                });
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
