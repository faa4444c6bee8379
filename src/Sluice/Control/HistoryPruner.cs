using System.Text.Json.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace Sluice.Control;

/// <summary>
/// History retention for the control plane's two fastest-growing tables: the events outbox (eleven rows for a small
/// file's job) and job log lines. Events older than the period go, and log lines older than it of jobs that ended
/// before it.
/// Jobs, their stage runs, attempts, load ledger and the audit log stay: they are what exactly-once, replays and
/// accountability rest on, and a job's row is what makes the same file arriving again the same job.
/// </summary>
/// <remarks>
/// Both tables are walked in id order (ids grow with time) a batch at a time, each batch its own short statement, and
/// the walk stops at the first batch that holds nothing older than the period: no long lock, no scan of what stays.
/// </remarks>
public sealed class HistoryPruner(NpgsqlDataSource db, int batchSize = 10_000)
{
    public sealed record Result
    {
        [JsonPropertyName("dry_run")] public bool DryRun { get; init; }
        /// <summary>Events created, and log lines written (of jobs that ended), before this time (the database's clock).</summary>
        [JsonPropertyName("before")] public DateTime Before { get; init; }
        [JsonPropertyName("events")] public long Events { get; init; }
        [JsonPropertyName("log_lines")] public long LogLines { get; init; }
    }

    public async Task<Result> PruneAsync(TimeSpan olderThan, bool dryRun, CancellationToken ct)
    {
        var cutoff = await DatabaseClock.AgoAsync(db, olderThan, ct);
        var events = await WalkAsync("sluice.events", "created_at", "r.created_at < $1", cutoff, dryRun, ct);
        var logs = await WalkAsync("sluice.job_logs", "at",
            "r.at < $1 and exists (select 1 from sluice.jobs j where j.id = r.job_id and j.finished_at < $1 and j.status in ('succeeded', 'failed'))",
            cutoff, dryRun, ct);
        return new Result { DryRun = dryRun, Before = cutoff, Events = events, LogLines = logs };
    }

    /// <param name="table">A table of Sluice's own (never user input).</param>
    /// <param name="time">Its column of when a row was written.</param>
    /// <param name="removable">Which rows of a batch go (<c>r</c> is the row, <c>$1</c> the cutoff).</param>
    private async Task<long> WalkAsync(string table, string time, string removable, DateTime cutoff, bool dryRun, CancellationToken ct)
    {
        var act = dryRun
            ? $"select r.id from {table} r where r.id in (select id from batch) and {removable}"
            : $"delete from {table} r where r.id in (select id from batch) and {removable} returning r.id";
        var sql = $"""
            with batch as (select id, {time} as written from {table} where id > $2 order by id limit $3),
                 gone as ({act})
            select (select count(*) from gone), (select count(*) from batch), (select max(id) from batch),
                   coalesce((select min(written) < $1 from batch), false)
            """;
        long after = 0, total = 0;
        while (true)
        {
            await using var cmd = db.CreateCommand(sql);
            cmd.Parameters.Add(new NpgsqlParameter { Value = cutoff, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            cmd.Parameters.Add(new NpgsqlParameter { Value = after });
            cmd.Parameters.Add(new NpgsqlParameter { Value = batchSize });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            total += r.GetInt64(0);
            var rows = r.GetInt64(1);
            var anyOlder = r.GetBoolean(3);
            if (rows < batchSize || !anyOlder) return total;
            after = r.GetInt64(2);
        }
    }
}
