using System.Collections.Concurrent;
using Npgsql;
using Sluice.Errors;
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
    /// (see <see cref="ReusablePool"/>). Watched while open for locks it waits on (<see cref="LockWaits"/>).
    /// </summary>
    public static async ValueTask<NpgsqlConnection> OpenAsync(StageContext context, TargetDefinition target, CancellationToken ct)
    {
        var conn = await OpenUnwatchedAsync(context, target, ct);
        context.LockWaits.Watch(conn, PgIdentifier.QualifiedName(target.Schema, target.Table), c => OpenUnwatchedAsync(context, target, c));
        return conn;
    }

    private static ValueTask<NpgsqlConnection> OpenUnwatchedAsync(StageContext context, TargetDefinition target, CancellationToken ct) =>
        target.Database is null
            ? context.ControlPlane.Loads.OpenConnectionAsync(ct)
            : Sources.GetOrAdd(ConnectionString(context, target), cs => ReusablePool.Build(cs, maxPreparedStatements: 32)).OpenConnectionAsync(ct);

    /// <summary>
    /// Proves, just before a load or merge commits in the target, that this worker still holds its task, and keeps it so
    /// until the returned hold is disposed, after the commit. On the control plane's own database the check ran in the
    /// target's transaction (<see cref="Control.TaskQueue.StillHoldsCommand"/>, whose result is
    /// <paramref name="heldInTransaction"/>), its lock lasting until the commit: nothing more to hold. In another database
    /// it is a transaction of its own on the control plane (<see cref="Control.TaskQueue.HoldLeaseAsync"/>).
    /// Throws <see cref="LeaseLostException"/>, so that nothing is committed, when the lease is gone.
    /// </summary>
    public static async Task<IAsyncDisposable?> HoldLeaseAsync(StageContext context, bool heldInTransaction, CancellationToken ct)
    {
        if (context.Pipeline.Target!.Database is null)
            return heldInTransaction ? null : throw new LeaseLostException(context.Task.Id);
        return await context.ControlPlane.Tasks.HoldLeaseAsync(context.Task, context.Settings.Lease, ct) ?? throw new LeaseLostException(context.Task.Id);
    }

    /// <summary>For a pipeline without a schema: the types of the target table's columns that a schema could declare
    /// (<see cref="TargetColumns.SchemaType"/>), by name; null when the table does not exist yet.</summary>
    public static async Task<IReadOnlyDictionary<string, ColumnType>?> TableTypesAsync(StageContext context, TargetDefinition target, CancellationToken ct)
    {
        await using var conn = await OpenAsync(context, target, ct);
        return await TableColumnsAsync(conn, target, ct) is { } columns
            ? columns.Select(c => (c.Key, Type: TargetColumns.SchemaType(c.Value))).Where(c => c.Type is not null)
                .ToDictionary(c => c.Key, c => c.Type!, StringComparer.Ordinal)
            : null;
    }

    /// <summary>The target table's columns and their types (as <c>format_type</c> spells them), in one round trip; null
    /// when the table does not exist.</summary>
    public static async Task<Dictionary<string, string>?> TableColumnsAsync(NpgsqlConnection conn, TargetDefinition target, CancellationToken ct)
    {
        // The catalogs, not information_schema: its views check privileges row by row and cost milliseconds per call,
        // which a burst of small files pays on every load. No row: no table; one row without a name: no columns.
        // A domain is read as its base type (its constraints still apply on the server); an enum or a string type of an
        // extension (citext) is marked as text-like: PostgreSQL reads either from the text's bytes.
        await using var cmd = new NpgsqlCommand(
            "select a.attname, case when t.typtype = 'e' or (t.typcategory = 'S' and t.typname not in ('text', 'varchar', 'bpchar')) " +
            "then 'text-like' else format_type(coalesce(nullif(t.typbasetype, 0), a.atttypid), " +
            "case when t.typbasetype <> 0 then t.typtypmod else a.atttypmod end) end " +
            "from pg_class c join pg_namespace n on n.oid = c.relnamespace " +
            "left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped " +
            "left join pg_type t on t.oid = a.atttypid " +
            "where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p')", conn)
        {
            Parameters = { new() { Value = target.Schema }, new() { Value = target.Table } },
        };
        await using var r = await cmd.ExecuteReaderAsync(ct);
        Dictionary<string, string>? columns = null;
        while (await r.ReadAsync(ct))
        {
            columns ??= new Dictionary<string, string>(StringComparer.Ordinal);
            if (!r.IsDBNull(0)) columns[r.GetString(0)] = r.GetString(1);
        }
        return columns;
    }

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

    /// <summary>
    /// Runs <see cref="InsertSelect"/> in <paramref name="tx"/>. An upsert whose rows repeat a key fails in PostgreSQL
    /// naming no key (21000, "cannot affect row a second time"): the rows are looked at again, under a savepoint, to
    /// name the repeated keys.
    /// </summary>
    public static async Task<int> InsertSelectAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string table, string source,
        IReadOnlyList<string> columns, TargetDefinition target, CancellationToken ct)
    {
        var sql = InsertSelect(table, source, columns, target);
        if (target.Mode != LoadMode.Upsert) return await ExecAsync(conn, sql, ct);
        // The savepoint goes with the statement, in one round trip: a key twice in the file is found after it fails.
        await using var batch = new NpgsqlBatch(conn, tx) { Timeout = 0, BatchCommands = { new("savepoint sluice_upsert"), new(sql) } };
        try
        {
            await batch.ExecuteNonQueryAsync(ct);
            return batch.BatchCommands[1].RecordsAffected;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CardinalityViolation)
        {
            await tx.RollbackAsync("sluice_upsert", ct);
            var keys = string.Join(", ", target.KeyColumns.Select(PgIdentifier.Quote));
            await using var cmd = new NpgsqlCommand(
                $"select concat_ws(', ', {keys}) || ' (' || count(*) || ' rows)' from {source} group by {keys} having count(*) > 1 limit 5", conn);
            var repeated = new List<string>();
            await using (var r = await cmd.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct)) repeated.Add(Storage.ObjectKey.Printable(r.GetString(0)));
            throw new SluiceException("load.duplicate_key",
                $"the file holds more than one row for the same key ({keys}), such as {string.Join("; ", repeated)}; an upsert applies each " +
                "key once, so nothing was loaded. Send one row per key (Sluice does not guess which of them is right), then replay from transform.");
        }
    }

    /// <summary>Runs a stage that writes into the target, turning PostgreSQL's refusals into <see cref="Explain"/>'s, and a
    /// statement that timed out waiting for a lock into an error naming the session that held it (<see cref="LockWaits"/>).</summary>
    public static async Task<StageResult> ExplainingAsync(StageContext context, Func<Task<StageResult>> run)
    {
        try
        {
            return await run();
        }
        catch (PostgresException e) when (context.Pipeline.Target is { } target
                                          && Explain(e, PgIdentifier.QualifiedName(target.Schema, target.Table), target, context.Task.Chunk) is { } explained)
        {
            throw explained;
        }
        catch (Exception e) when (context.LockWaits.Explain(e) is { } waited)
        {
            throw waited;
        }
    }

    /// <summary>What a load's PostgreSQL error means for this target, said so that a user can act on it (null: nothing
    /// to add to PostgreSQL's own message).</summary>
    /// <param name="chunk">The chunk whose rows were refused, if the file was split: an append's chunks commit one by
    /// one, so the others may have loaded theirs.</param>
    public static SluiceException? Explain(PostgresException e, string table, TargetDefinition target, int? chunk = null)
    {
        var nothing = chunk is { } c && target.Mode == LoadMode.Append
            ? $"chunk {c} loaded nothing (the chunks of an append commit one by one: those that committed keep their rows, in the load ledger; a replay from load replaces them)"
            : "nothing was loaded";
        // Only a refusal of the rows themselves: the target, its staging table or the upsert's temporary one. A clash in
        // the catalogs (two jobs creating one schema at once) is not the file's doing.
        var ofRows = e.TableName is { } refusing && !refusing.StartsWith("pg_", StringComparison.Ordinal);
        var keys = string.Join(", ", target.KeyColumns.Select(PgIdentifier.Quote));
        var detail = Storage.ObjectKey.Printable(e.Detail ?? e.MessageText);
        return e.SqlState switch
        {
            PostgresErrorCodes.UniqueViolation when ofRows => new SluiceException("load.key_exists",
                $"a row's key is already in {table}, or appears twice in the file ({detail}); {nothing}. " +
                (target.Mode == LoadMode.Upsert
                    ? "Send one row per key, then replay from transform."
                    : "To update rows that are there, use mode: upsert with key; to load a file that repeats a key, remove the repeats; then replay from transform."),
                inner: e),
            PostgresErrorCodes.InvalidColumnReference when target.Mode == LoadMode.Upsert => new SluiceException("load.no_unique_key",
                $"{table} has no primary key or unique constraint on ({keys}), which an upsert needs to find existing rows; " +
                $"add one (alter table {table} add primary key ({keys})), then replay from load.", inner: e),
            PostgresErrorCodes.NotNullViolation when ofRows => new SluiceException("load.not_null",
                $"{table} requires a value the file does not give: {Storage.ObjectKey.Printable(e.MessageText)}; give the column a default or a value in the file, then replay from transform.",
                inner: e),
            _ => null,
        };
    }

    public static async Task<int> ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        // No client-side timeout: deleting or merging a large file's rows may take minutes; cancellation stops it.
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 0 };
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
