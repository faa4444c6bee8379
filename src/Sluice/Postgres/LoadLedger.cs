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

    private const string FindSql = "select attempt, rows from sluice.load_ledger where job_id = $1 and chunk = $2 for update";

    /// <summary>The ledger row of this chunk of this job, locked until the transaction ends (so a concurrent load waits).</summary>
    public static async Task<Entry?> FindAsync(NpgsqlConnection conn, Guid jobId, int chunk, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn) { BatchCommands = { FindCommand(jobId, chunk) } };
        await using var r = await batch.ExecuteReaderAsync(ct);
        return await ReadEntryAsync(r, ct);
    }

    /// <summary>
    /// <see cref="FindAsync"/>, and in the same round trip the rows this transaction has inserted into
    /// <paramref name="countTable"/> so far (<see cref="InsertedSql"/>): a load's count before its COPY.
    /// </summary>
    public static async Task<(Entry? Entry, long Inserted)> FindAndCountAsync(NpgsqlConnection conn, Guid jobId, int chunk, string countTable,
        CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn) { BatchCommands = { CountCommand(countTable), FindCommand(jobId, chunk) } };
        await using var r = await batch.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        var inserted = Convert.ToInt64(r.GetValue(0));
        await r.NextResultAsync(ct);
        return (await ReadEntryAsync(r, ct), inserted);
    }

    private static NpgsqlBatchCommand FindCommand(Guid jobId, int chunk) =>
        new(FindSql) { Parameters = { new() { Value = jobId }, new() { Value = chunk } } };

    private static async Task<Entry?> ReadEntryAsync(NpgsqlDataReader r, CancellationToken ct) =>
        await r.ReadAsync(ct) ? new Entry(r.GetInt32(0), r.GetInt64(1)) : null;

    private static NpgsqlBatchCommand CountCommand(string table) => new(InsertedSql) { Parameters = { new() { Value = table } } };

    /// <summary>
    /// Rows inserted into the table <c>$1</c> by this transaction so far, from PostgreSQL's own per-transaction
    /// statistics: an exact count of what COPY stored, without scanning the table. The statistics function itself rather
    /// than the pg_stat_xact_user_tables view, whose plan costs more than a small load.
    /// </summary>
    private const string InsertedSql = "select pg_stat_get_xact_tuples_inserted($1::regclass)";

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
    /// Rows a job attempt put into the target, by its ledger rows: those of <paramref name="chunk"/> only (a staged job's
    /// merge), or of every chunk when null. 0 when this database has no ledger yet (nothing was ever loaded into it).
    /// </summary>
    public static async Task<long> AttemptRowsAsync(NpgsqlConnection conn, Guid jobId, int attempt, int? chunk, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select to_regclass('sluice.load_ledger') is not null", conn);
        if (await cmd.ExecuteScalarAsync(ct) is not true) return 0;
        cmd.CommandText = "select coalesce(sum(rows), 0)::bigint from sluice.load_ledger " +
                          "where job_id = $1 and attempt = $2 and (chunk = $3 or $3 is null and chunk >= 0)";
        cmd.Parameters.Add(new() { Value = jobId });
        cmd.Parameters.Add(new() { Value = attempt });
        cmd.Parameters.Add(new() { Value = (object?)chunk ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Writes this load's ledger row. A first load inserts and fails if another load of the same chunk committed first
    /// (the unique key waits for it), so two workers can never both commit rows; a replay updates the row it replaced.
    /// </summary>
    /// <param name="andThen">A query to run in the same round trip, after the ledger row (the lease check when the
    /// target is the control plane's database); whether it returned a row. Without one: true.</param>
    public static async Task<bool> RecordAsync(NpgsqlConnection conn, Guid jobId, int chunk, int attempt, string target, long rows,
        bool replacing, CancellationToken ct, NpgsqlBatchCommand? andThen = null) =>
        (await RecordAndCountAsync(conn, jobId, chunk, attempt, target, rows, replacing, null, andThen, ct)).Returned;

    /// <summary>
    /// <see cref="RecordAsync"/>, and in the same round trip, when <paramref name="countTable"/> is given, the rows this
    /// transaction has inserted into it so far (<see cref="InsertedSql"/>): a load's count after its COPY.
    /// </summary>
    public static async Task<(bool Returned, long? Inserted)> RecordAndCountAsync(NpgsqlConnection conn, Guid jobId, int chunk, int attempt,
        string target, long rows, bool replacing, string? countTable, NpgsqlBatchCommand? andThen, CancellationToken ct)
    {
        var sql = replacing
            ? "update sluice.load_ledger set attempt = $3, target = $4, rows = $5, loaded_at = now() where job_id = $1 and chunk = $2"
            : "insert into sluice.load_ledger (job_id, chunk, attempt, target, rows) values ($1, $2, $3, $4, $5) on conflict (job_id, chunk) do nothing";
        await using var batch = new NpgsqlBatch(conn);
        if (countTable is not null) batch.BatchCommands.Add(CountCommand(countTable));
        var record = new NpgsqlBatchCommand(sql)
        {
            Parameters = { new() { Value = jobId }, new() { Value = chunk }, new() { Value = attempt }, new() { Value = target }, new() { Value = rows } },
        };
        batch.BatchCommands.Add(record);
        if (andThen is not null) batch.BatchCommands.Add(andThen);
        var returned = andThen is null;
        long? inserted = null;
        await using (var r = await batch.ExecuteReaderAsync(ct))
        {
            // The reader passes over statements that return no rows (the ledger's), once they are prepared at least:
            // the results that have columns are, in order, the count (always one row) and the query's rows.
            var counted = countTable is null;
            do
            {
                if (r.FieldCount == 0) continue;
                if (!counted)
                {
                    await r.ReadAsync(ct);
                    inserted = Convert.ToInt64(r.GetValue(0));
                    counted = true;
                }
                else if (await r.ReadAsync(ct)) returned = true;
            } while (await r.NextResultAsync(ct));
        }
        if (record.RecordsAffected != 1)
            throw new Errors.SluiceException("load.concurrent",
                $"job {jobId} chunk {chunk} was loaded by another worker while this one was loading; nothing from this worker is committed.",
                transient: true);
        return (returned, inserted);
    }
}
