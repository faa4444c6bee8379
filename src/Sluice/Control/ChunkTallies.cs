using Npgsql;

namespace Sluice.Control;

/// <summary>
/// The counts of each chunk's transform as it finishes reading (<c>sluice.chunk_tallies</c>), and what the other
/// chunks of a job are doing: what a chunk loading as it transforms needs to decide whether it may commit.
/// </summary>
public sealed class ChunkTallies(NpgsqlDataSource db)
{
    /// <summary>How the chunks of one job attempt stand, seen from one of them.</summary>
    /// <param name="Tallied">Chunks that have finished reading and counted.</param>
    /// <param name="Read">Rows read by the tallied chunks.</param>
    /// <param name="Rejected">Rows rejected by the tallied chunks.</param>
    /// <param name="StuckFor">When some chunk that has not counted yet is not being worked on — waiting for a worker
    /// (queued behind others, retrying after a failure), failed, or held by a worker whose lease has run out — how long
    /// since the latest change among them (a chunk queued a moment ago may still be claimed); null when none is.</param>
    /// <param name="Failed">Whether a chunk's transform failed or was cancelled (the job is failing).</param>
    public sealed record Standing(int Tallied, long Read, long Rejected, TimeSpan? StuckFor, bool Failed)
    {
        public bool Stuck => StuckFor is not null;
    }

    /// <summary>Records a chunk's counts (again, identically, when its transform runs again).</summary>
    public async Task RecordAsync(Guid jobId, int attempt, int chunk, long read, long rejected, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(
            "insert into sluice.chunk_tallies (job_id, attempt, chunk, rows_read, rows_rejected) values ($1, $2, $3, $4, $5) " +
            "on conflict (job_id, attempt, chunk) do update set rows_read = excluded.rows_read, rows_rejected = excluded.rows_rejected");
        cmd.Parameters.Add(new() { Value = jobId });
        cmd.Parameters.Add(new() { Value = attempt });
        cmd.Parameters.Add(new() { Value = chunk });
        cmd.Parameters.Add(new() { Value = read });
        cmd.Parameters.Add(new() { Value = rejected });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The job attempt's tallies so far, and whether a chunk not yet tallied is stuck (see <see cref="Standing"/>).</summary>
    public async Task<Standing> StandingAsync(Guid jobId, int attempt, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            with tallied as (
                select count(*)::int as n, coalesce(sum(rows_read), 0)::bigint as read, coalesce(sum(rows_rejected), 0)::bigint as rejected
                from sluice.chunk_tallies where job_id = $1 and attempt = $2
            ), stuck as (
                select max(k.updated_at) as latest
                from sluice.tasks k
                where k.job_id = $1 and k.attempt = $2 and k.stage = 'transform' and k.chunk is not null
                  and not (k.status = 'running' and k.lease_expires_at >= now())
                  and not exists (select 1 from sluice.chunk_tallies d where d.job_id = k.job_id and d.attempt = k.attempt and d.chunk = k.chunk)
            )
            select tallied.n, tallied.read, tallied.rejected, extract(epoch from clock_timestamp() - stuck.latest)::float8,
                   exists (select 1 from sluice.tasks f where f.job_id = $1 and f.attempt = $2 and f.stage = 'transform'
                           and f.chunk is not null and f.status in ('failed', 'cancelled'))
            from tallied, stuck
            """);
        cmd.Parameters.Add(new() { Value = jobId });
        cmd.Parameters.Add(new() { Value = attempt });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return new Standing(r.GetInt32(0), r.GetInt64(1), r.GetInt64(2), r.IsDBNull(3) ? null : TimeSpan.FromSeconds(Math.Max(0, r.GetDouble(3))),
            r.GetBoolean(4));
    }
}
