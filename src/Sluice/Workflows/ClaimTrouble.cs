using System.Diagnostics;
using Sluice.Observability;

namespace Sluice.Workflows;

/// <summary>
/// What the workers of one process say while they cannot claim tasks (the control plane is unreachable, restarting):
/// the first failure at once, then one line every 30 s for all of them, and one line when claiming works again —
/// rather than a line a second from every worker for as long as the outage lasts.
/// </summary>
public sealed class ClaimTrouble(JobLog log)
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(30);
    private readonly Lock _gate = new();
    private volatile bool _troubled;
    private long _since, _lastSaid;

    public void Failed(string workerId, Exception e)
    {
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            if (!_troubled)
            {
                (_troubled, _since, _lastSaid) = (true, now, now);
                log.Warn($"cannot claim tasks ({e.Message}); the workers retry every second", workerId: workerId);
            }
            else if (Stopwatch.GetElapsedTime(_lastSaid, now) >= Every)
            {
                _lastSaid = now;
                log.Warn($"still cannot claim tasks after {Stopwatch.GetElapsedTime(_since, now).TotalSeconds:N0} s ({e.Message}); retrying", workerId: workerId);
            }
        }
    }

    /// <summary>A claim went through (found a task or not): after a failure, says so once.</summary>
    public void Succeeded(string workerId)
    {
        if (!_troubled) return;
        lock (_gate)
        {
            if (!_troubled) return;
            _troubled = false;
            log.Info($"claiming tasks again after {Stopwatch.GetElapsedTime(_since).TotalSeconds:N0} s", workerId: workerId);
        }
    }
}
