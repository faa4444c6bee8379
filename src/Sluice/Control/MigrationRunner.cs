using System.Reflection;
using System.Text.RegularExpressions;
using Npgsql;

namespace Sluice.Control;

/// <summary>
/// Applies the numbered <c>Migrations/NNNN_name.sql</c> files in order, each in its own transaction, under an
/// advisory lock so that several processes starting at once apply each migration exactly once.
/// </summary>
public static partial class MigrationRunner
{
    // Any constant shared by every Sluice process; it only has to differ from other applications' lock keys.
    private const long LockKey = 0x51_75_69_63_65_00_01;

    public static async Task<int> MigrateAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using (var lockCmd = new NpgsqlCommand($"select pg_advisory_lock({LockKey})", conn))
            await lockCmd.ExecuteNonQueryAsync(ct);
        try
        {
            await Exec(conn, "create schema if not exists sluice; create table if not exists sluice.schema_migrations " +
                             "(version int primary key, name text not null, applied_at timestamptz not null default now())", ct);
            var applied = new HashSet<int>();
            await using (var cmd = new NpgsqlCommand("select version from sluice.schema_migrations", conn))
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) applied.Add(reader.GetInt32(0));

            var count = 0;
            foreach (var (version, name, sql) in Migrations())
            {
                if (applied.Contains(version)) continue;
                await using var tx = await conn.BeginTransactionAsync(ct);
                await Exec(conn, sql, ct);
                await using (var record = new NpgsqlCommand("insert into sluice.schema_migrations (version, name) values ($1, $2)", conn)
                             { Parameters = { new() { Value = version }, new() { Value = name } } })
                    await record.ExecuteNonQueryAsync(ct);
                await tx.CommitAsync(ct);
                count++;
            }
            return count;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand($"select pg_advisory_unlock({LockKey})", conn);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static IEnumerable<(int Version, string Name, string Sql)> Migrations()
    {
        var asm = Assembly.GetExecutingAssembly();
        return asm.GetManifestResourceNames()
            .Select(n => (n, m: MigrationName().Match(n)))
            .Where(x => x.m.Success)
            .Select(x => (int.Parse(x.m.Groups[1].Value), x.m.Groups[2].Value, Read(asm, x.n)))
            .OrderBy(x => x.Item1);
    }

    private static string Read(Assembly asm, string resource)
    {
        using var s = asm.GetManifestResourceStream(resource)!;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    private static async Task Exec(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    [GeneratedRegex(@"^Sluice\.Migrations\.(\d{4})_([a-z0-9_]+)\.sql$")]
    private static partial Regex MigrationName();
}
