using System.Collections.Concurrent;
using Npgsql;
using Sluice.Pipelines;
using Sluice.Postgres;

namespace Sluice.Stages.Load;

/// <summary>What the load and merge stages say to the target database, written once for both.</summary>
internal static class TargetStatements
{
    private static readonly ConcurrentDictionary<string, NpgsqlDataSource> Sources = new();

    /// <summary>The target's own database, or the control plane's when the pipeline names none.</summary>
    public static string ConnectionString(StageContext context, TargetDefinition target) =>
        target.Database is { } url ? DatabaseUrl.ToConnectionString(url) : context.ControlPlane.ConnectionString;

    /// <summary>
    /// A connection to the target: from the control plane's pool for loads when the target is its database (the
    /// default; see <see cref="Control.ControlPlane.Loads"/>), else from one pool per target database for the process
    /// (see <see cref="ReusablePool"/>).
    /// </summary>
    public static ValueTask<NpgsqlConnection> OpenAsync(StageContext context, TargetDefinition target, CancellationToken ct) =>
        target.Database is null
            ? context.ControlPlane.Loads.OpenConnectionAsync(ct)
            : Sources.GetOrAdd(ConnectionString(context, target), cs => ReusablePool.Build(cs, maxPreparedStatements: 32)).OpenConnectionAsync(ct);

    /// <summary><c>copy table (columns) from stdin (format binary)</c>: how every load hands its rows to the server.</summary>
    public static string BinaryCopy(string into, IEnumerable<string> columns) =>
        $"copy {into} ({string.Join(", ", columns.Select(PgIdentifier.Quote))}) from stdin (format binary)";

    /// <summary>Removes the rows an earlier attempt of the job loaded (found by the lineage column).</summary>
    public static Task<int> DeleteJobRowsAsync(NpgsqlConnection conn, string table, Guid jobId, CancellationToken ct) =>
        ExecAsync(conn, $"delete from {table} where {PgIdentifier.Quote(TableDdl.LineageColumn)} = '{jobId}'", ct);

    /// <summary><c>insert into table (columns) select columns from source</c>, merging on the key for upsert.</summary>
    public static string InsertSelect(string table, string source, IReadOnlyList<string> columns, TargetDefinition target)
    {
        var list = string.Join(", ", columns.Select(PgIdentifier.Quote));
        var sql = $"insert into {table} ({list}) select {list} from {source}";
        if (target.Mode != LoadMode.Upsert) return sql;
        var keys = string.Join(", ", target.KeyColumns.Select(PgIdentifier.Quote));
        var updates = string.Join(", ", columns.Where(c => !target.KeyColumns.Contains(c))
            .Select(c => $"{PgIdentifier.Quote(c)} = excluded.{PgIdentifier.Quote(c)}"));
        return sql + $" on conflict ({keys}) do update set {updates}";
    }

    public static async Task<int> ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        // No client-side timeout: deleting or merging a large file's rows may take minutes; cancellation stops it.
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 0 };
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
