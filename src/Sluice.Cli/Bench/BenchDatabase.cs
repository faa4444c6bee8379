using Npgsql;
using Sluice.Pipelines;
using Sluice.Postgres;

namespace Sluice.Cli.Bench;

/// <summary>The PostgreSQL the benchmark loads into, with the arguments psql and pgloader need to reach it.</summary>
internal sealed class BenchDatabase(string connectionString)
{
    private readonly NpgsqlConnectionStringBuilder _b = new(connectionString);

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
