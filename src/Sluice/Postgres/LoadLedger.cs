using Npgsql;

namespace Sluice.Postgres;

/// <summary>
/// The load ledger lives in the target database (<c>sluice.load_ledger</c>) and is written in the same transaction as
/// the rows it describes: if the ledger row exists, the rows are there; if not, they are not. A retried load that
/// finds its ledger row loads nothing again.
/// </summary>
public static class LoadLedger
{
    private const string CreateSql = """
        create schema if not exists sluice;
        create table if not exists sluice.load_ledger (
            job_id     uuid not null,
            chunk      int not null,
            attempt    int not null,
            target     text not null,
            rows       bigint not null,
            loaded_at  timestamptz not null default now(),
            primary key (job_id, chunk)
        );
        """;

    public static Task EnsureAsync(NpgsqlConnection conn, CancellationToken ct) =>
        SerializedDdl.RunAsync(conn, "sluice.load_ledger", CreateSql, ct);

    public sealed record Entry(int Attempt, long Rows);

    /// <summary>The ledger row of this chunk of this job, locked until the transaction ends (so a concurrent load waits).</summary>
    public static async Task<Entry?> FindAsync(NpgsqlConnection conn, Guid jobId, int chunk, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select attempt, rows from sluice.load_ledger where job_id = $1 and chunk = $2 for update", conn)
        {
            Parameters = { new() { Value = jobId }, new() { Value = chunk } },
        };
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new Entry(r.GetInt32(0), r.GetInt64(1)) : null;
    }

    /// <summary>Removes the job's chunk rows other than chunk 0 (a replay that loads a once-split file whole).</summary>
    public static async Task ForgetChunksAsync(NpgsqlConnection conn, Guid jobId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("delete from sluice.load_ledger where job_id = $1 and chunk <> 0", conn)
        {
            Parameters = { new() { Value = jobId } },
        };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Rows the chunks of this job attempt loaded (into the target or a staging table).</summary>
    public static async Task<long> ChunkRowsAsync(NpgsqlConnection conn, Guid jobId, int attempt, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select coalesce(sum(rows), 0)::bigint from sluice.load_ledger where job_id = $1 and chunk >= 0 and attempt = $2", conn)
        {
            Parameters = { new() { Value = jobId }, new() { Value = attempt } },
        };
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Writes this load's ledger row. A first load inserts and fails if another load of the same chunk committed first
    /// (the unique key waits for it), so two workers can never both commit rows; a replay updates the row it replaced.
    /// </summary>
    /// <param name="andThen">A query to run in the same round trip, after the ledger row (the lease check when the
    /// target is the control plane's database); whether it returned a row. Without one: true.</param>
    public static async Task<bool> RecordAsync(NpgsqlConnection conn, Guid jobId, int chunk, int attempt, string target, long rows,
        bool replacing, CancellationToken ct, NpgsqlBatchCommand? andThen = null)
    {
        var sql = replacing
            ? "update sluice.load_ledger set attempt = $3, target = $4, rows = $5, loaded_at = now() where job_id = $1 and chunk = $2"
            : "insert into sluice.load_ledger (job_id, chunk, attempt, target, rows) values ($1, $2, $3, $4, $5) on conflict (job_id, chunk) do nothing";
        await using var batch = new NpgsqlBatch(conn);
        var record = new NpgsqlBatchCommand(sql)
        {
            Parameters = { new() { Value = jobId }, new() { Value = chunk }, new() { Value = attempt }, new() { Value = target }, new() { Value = rows } },
        };
        batch.BatchCommands.Add(record);
        if (andThen is not null) batch.BatchCommands.Add(andThen);
        var returned = andThen is null;
        await using (var r = await batch.ExecuteReaderAsync(ct))
        {
            // The reader passes over statements that return no rows (the ledger's), once they are prepared at least:
            // the query's rows are the first result that has columns.
            do
            {
                if (r.FieldCount > 0 && await r.ReadAsync(ct)) returned = true;
            } while (await r.NextResultAsync(ct));
        }
        if (record.RecordsAffected != 1)
            throw new Errors.SluiceException("load.concurrent",
                $"job {jobId} chunk {chunk} was loaded by another worker while this one was loading; nothing from this worker is committed.",
                transient: true);
        return returned;
    }
}
