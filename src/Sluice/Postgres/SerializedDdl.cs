using Npgsql;

namespace Sluice.Postgres;

/// <summary>
/// Runs idempotent DDL (<c>create … if not exists</c>) under a transaction-scoped advisory lock named after the
/// object, because PostgreSQL's "if not exists" is not safe against a concurrent creator: two first loads into a
/// new table would otherwise fail with duplicate type or relation errors.
/// </summary>
public static class SerializedDdl
{
    public static async Task RunAsync(NpgsqlConnection conn, string lockName, string sql, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var lockCmd = new NpgsqlCommand("select pg_advisory_xact_lock(hashtextextended($1, 0))", conn, tx)
                     { Parameters = { new() { Value = "sluice.ddl:" + lockName } } })
            await lockCmd.ExecuteNonQueryAsync(ct);
        await using (var cmd = new NpgsqlCommand(sql, conn, tx))
            await cmd.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
    }
}
