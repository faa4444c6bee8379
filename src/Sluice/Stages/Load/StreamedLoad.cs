using Npgsql;
using Sluice.Pipelines;
using Sluice.Postgres;

namespace Sluice.Stages.Load;

/// <summary>
/// A load that runs while transform writes the rows: the rows go to <c>data.pgcopy</c> as always and, through a short
/// queue, into a binary COPY into the target in one open transaction; transform commits it (rows and ledger row
/// together, fenced like any load) only once the file is through and its rejects are within the pipeline's limits,
/// else rolls it back. The load stage then finds the ledger row and records the rows without loading them again.
/// Parsing and storing overlap, which on a large file saves most of the transform's time.
/// </summary>
internal sealed class StreamedLoad : IAsyncDisposable
{
    private readonly StageContext _context;
    private readonly NpgsqlConnection _conn;
    private readonly NpgsqlTransaction _tx;
    private readonly NpgsqlRawCopyStream _copy;
    private readonly CopyFeed _feed;
    private readonly string _table;
    private readonly long _insertedBefore;
    private bool _committed;

    private StreamedLoad(StageContext context, NpgsqlConnection conn, NpgsqlTransaction tx, NpgsqlRawCopyStream copy, string table,
        long insertedBefore, CancellationToken ct)
    {
        (_context, _conn, _tx, _copy, _table, _insertedBefore) = (context, conn, tx, copy, table, insertedBefore);
        _feed = new CopyFeed(copy, context.Job.SourceKey, ct);
    }

    /// <summary>Where transform writes the artifact's bytes too.</summary>
    public Stream Rows => _feed;

    /// <summary>
    /// Whether this transform loads as it goes: a file of at least <c>SLUICE_STREAM_BYTES</c>, loaded whole (not in
    /// chunks), appended, on the job's first attempt. Everything else — replace, upsert, replays (which take out an
    /// earlier attempt's rows in the load's transaction), chunks — loads in the load stage from the artifact.
    /// </summary>
    public static bool Applies(StageContext context) =>
        context.Settings.StreamBytes > 0 && context.Job.SourceSize >= context.Settings.StreamBytes
        && context.Pipeline.Target is { Mode: LoadMode.Append } && context.Job.Attempt == 1 && context.Task.Chunk is null;

    /// <summary>
    /// Prepares the target as the load stage would (table created from <paramref name="columns"/> when missing and
    /// allowed) and starts the COPY; null when the ledger shows an earlier run of this stage already loaded the rows.
    /// </summary>
    public static async Task<StreamedLoad?> BeginAsync(StageContext context, IReadOnlyList<ColumnDefinition> columns, CancellationToken ct)
    {
        var target = context.Pipeline.Target!;
        var table = PgIdentifier.QualifiedName(target.Schema, target.Table);
        var conn = await TargetStatements.OpenAsync(context, target, ct);
        NpgsqlTransaction? tx = null;
        try
        {
            await LoadStage.PrepareTargetAsync(context, conn, target,
                _ => Task.FromResult(TableDdl.CreateTableScript(target.Schema, target.Table, columns, target.KeyColumns, includeLineageColumn: true)), ct);
            tx = await conn.BeginTransactionAsync(ct);
            if (await LoadLedger.FindAsync(conn, context.Job.Id, 0, ct) is { } earlier)
            {
                context.Info($"ledger shows {earlier.Rows:N0} rows already loaded into {table} by an earlier run; transforming without loading");
                await tx.RollbackAsync(ct);
                await tx.DisposeAsync();
                await conn.DisposeAsync();
                return null;
            }
            var before = await LoadStage.InsertedInTransactionAsync(conn, table, ct);
            var columnList = string.Join(", ", columns.Select(c => c.Name).Append(TableDdl.LineageColumn).Select(PgIdentifier.Quote));
            var copy = await conn.BeginRawBinaryCopyAsync($"copy {table} ({columnList}) from stdin (format binary)", ct);
            return new StreamedLoad(context, conn, tx, copy, table, before, ct);
        }
        catch
        {
            if (tx is not null) await tx.DisposeAsync();
            await conn.DisposeAsync();
            throw;
        }
    }

    /// <summary>Ends the COPY, checks it stored <paramref name="expectedRows"/>, and commits the rows with their ledger row.</summary>
    public async Task CommitAsync(long expectedRows, CancellationToken ct)
    {
        await _feed.FinishAsync();
        await _copy.DisposeAsync();   // ends the COPY: the server's verdict on the rows (a duplicate key, say) arrives here
        var loaded = await LoadStage.InsertedInTransactionAsync(_conn, _table, ct) - _insertedBefore;
        await LoadStage.CommitAsync(_context, _conn, _tx, _table, 0, loaded, expectedRows, replacing: false, ct, how: " as transform wrote them");
        _committed = true;
    }

    /// <summary>Rolls back whatever was not committed (a failed or cancelled transform, rejects over the limit).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_committed)
        {
            await _feed.AbandonAsync();
            try { await _copy.CancelAsync(); } catch (Exception) { /* the transaction is rolled back below either way */ }
        }
        try { await _copy.DisposeAsync(); } catch (Exception) when (!_committed) { }
        await _tx.DisposeAsync();
        await _conn.DisposeAsync();
        await _feed.DisposeAsync();
    }
}
