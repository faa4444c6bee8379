namespace Sluice.Workflows;

/// <summary>How a pool of workers behaves.</summary>
public sealed record WorkerOptions
{
    public int Workers { get; init; } = 2;
    /// <summary>How long a claimed task stays owned without renewal; renewed every third of it.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Idle workers look for tasks at least this often, even without a notification.</summary>
    public TimeSpan Poll { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>On shutdown, running stages get this long to finish before their tasks are handed back.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(20);
    /// <summary>Only claim tasks of these jobs (used by <c>sluice run</c> and <c>replay</c>); null means any job.</summary>
    public IReadOnlyList<Guid>? OnlyJobs { get; init; }
    /// <summary>A name for this process in worker ids (host:pid by default).</summary>
    public string ProcessName { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}";
}
