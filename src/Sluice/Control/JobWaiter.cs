using Npgsql;

namespace Sluice.Control;

/// <summary>Waits until jobs have ended and their follow-up stages (notify) have run.</summary>
public static class JobWaiter
{
    /// <summary>
    /// Returns when every job is succeeded or failed with no task left to run. Checks at once, then whenever one of the
    /// jobs ends (<see cref="JobEndSignal"/>) and at least every <paramref name="poll"/>: a job whose follow-up stages
    /// (notify) still run after its outcome, or a listening connection that could not be opened or broke, is seen by the poll.
    /// </summary>
    public static async Task WaitAsync(ControlPlane controlPlane, IReadOnlyCollection<Guid> jobs, TimeSpan poll, CancellationToken ct,
        Action<int>? onFinishedCount = null)
    {
        var ids = jobs.ToArray();
        var lastFinished = -1;
        await using var ends = await JobEndSignal.ListenAsync(controlPlane.ConnectionString, ids, ct);
        while (true)
        {
            await using var cmd = controlPlane.DataSource.CreateCommand(
                "select count(*) from sluice.jobs j where j.id = any($1) and j.status in ('succeeded', 'failed') " +
                "and not exists (select 1 from sluice.tasks t where t.job_id = j.id and t.status in ('ready', 'running'))");
            cmd.Parameters.Add(new NpgsqlParameter { Value = ids });
            var finished = Convert.ToInt32(await cmd.ExecuteScalarAsync(ct));
            if (finished != lastFinished) { onFinishedCount?.Invoke(finished); lastFinished = finished; }
            if (finished == ids.Length) return;
            await ends.WaitAsync(poll, ct);
        }
    }

    /// <summary>The stage currently running for a job, if any (for progress displays).</summary>
    public static async Task<string?> CurrentStageAsync(ControlPlane controlPlane, Guid job, CancellationToken ct)
    {
        await using var cmd = controlPlane.DataSource.CreateCommand(
            "select stage from sluice.tasks where job_id = $1 and status in ('ready', 'running') limit 1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = job });
        return await cmd.ExecuteScalarAsync(ct) as string;
    }
}
