using Npgsql;
using Sluice.Pipelines;
using Sluice.Postgres;

namespace Sluice.Cli.Bench;

/// <summary>The PostgreSQL the benchmark loads into, with the arguments psql and pgloader need to reach it.</summary>
internal sealed class BenchDatabase(string connectionString)
{
    /// <summary>The database every benchmark run gets to itself, on the same server as Sluice's own.</summary>
    public const string Name = "sluice_bench";

    private readonly NpgsqlConnectionStringBuilder _b = new(connectionString);

    /// <summary>
    /// Drops and creates <see cref="Name"/> on the server of <paramref name="serverConnectionString"/>: each run starts
    /// with an empty control plane, so its figures do not depend on earlier runs (a control plane holding the jobs of
    /// past runs made the benchmark's own progress queries slower with every run) and no benchmark job lands in the
    /// user's own control plane.
    /// </summary>
    public static async Task<BenchDatabase> FreshAsync(string serverConnectionString, CancellationToken ct)
    {
        var admin = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = "postgres", Pooling = false };
        await using (var conn = new NpgsqlConnection(admin.ConnectionString))
        {
            await conn.OpenAsync(ct);
            foreach (var sql in new[] { $"drop database if exists {Name} with (force)", $"create database {Name}" })
            {
                await using var cmd = new NpgsqlCommand(sql, conn);
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
        return new BenchDatabase(new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = Name }.ConnectionString);
    }

    public string ConnectionString { get; } = connectionString;

    public static readonly IReadOnlyList<ColumnDefinition> PaymentsColumns =
    [
        new("transaction_id", ColumnType.BigInt, Nullable: false), new("account_id", new(ColumnKind.Int)), new("client_id", new(ColumnKind.Int)),
        new("amount", new(ColumnKind.Numeric, Precision: 14, Scale: 2)), new("currency", new(ColumnKind.Char, Length: 3)),
        new("booked_at", new(ColumnKind.Timestamp)), new("description", ColumnType.Text), new("status", ColumnType.Text),
    ];

    public string[] PsqlArgs(string command) =>
        ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", _b.Host!, "-p", _b.Port.ToString(), "-U", _b.Username ?? "postgres", "-d", _b.Database!, "-c", command];

    public Dictionary<string, string> PsqlEnv() => _b.Password is { } p ? new() { ["PGPASSWORD"] = p } : [];

    /// <summary>pgloader's connection URL (Unix sockets are written as unix:/dir).</summary>
    public string PgloaderUrl(string table)
    {
        var host = _b.Host!.StartsWith('/') ? $"unix:{_b.Host}" : _b.Host;
        var user = Uri.EscapeDataString(_b.Username ?? "postgres") + (_b.Password is { } p ? ":" + Uri.EscapeDataString(p) : "");
        return $"postgresql://{user}@{host}:{_b.Port}/{_b.Database}?tablename={table}";
    }

    public async Task RecreateAsync(string table, bool primaryKey, bool lineage, CancellationToken ct)
    {
        await ExecAsync($"drop table if exists public.{PgIdentifier.Quote(table)}", ct);
        await ExecAsync(TableDdl.CreateTableScript("public", table, PaymentsColumns, primaryKey ? ["transaction_id"] : [], lineage), ct);
    }

    /// <summary>
    /// Leaves nothing to write from earlier work before a timed run: PostgreSQL checkpoints (so no checkpoint of an
    /// earlier run's writes falls inside this one) and the kernel writes back its dirty pages.
    /// </summary>
    public async Task QuietAsync(CancellationToken ct)
    {
        try { await ExecAsync("checkpoint", ct); }
        catch (PostgresException) { /* the user may not checkpoint (no pg_checkpoint role): the sync still helps */ }
        await BenchMachine.RunAsync("sync", [], null, ct);
    }

    public async Task DropAsync(string table, CancellationToken ct) => await ExecAsync($"drop table if exists public.{PgIdentifier.Quote(table)}", ct);

    public async Task<T> ScalarAsync<T>(string sql, CancellationToken ct, params object[] args)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task ExecAsync(string sql, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
