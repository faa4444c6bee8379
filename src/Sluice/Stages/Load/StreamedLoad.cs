using System.Diagnostics;
using Npgsql;
using Sluice.Pipelines;
using Sluice.Postgres;

namespace Sluice.Stages.Load;

/// <summary>
/// A load that runs while transform writes the rows: the rows go to <c>data.pgcopy</c> as always and, through a short
/// queue, into a binary COPY into the target in one open transaction; transform commits it (rows and ledger row
/// together, fenced like any load) only once the file is through and its rejects are within the pipeline's limits,
/// else rolls it back. The load stage then finds the ledger row and records the rows without loading them again.
/// Parsing and storing overlap, which on a large file saves most of the transform's time. Chunks of a split file do
/// the same side by side; each holds its rows until every chunk has counted (<see cref="Control.ChunkTallies"/>), so
/// the whole file's reject limits are checked before any chunk commits, as when chunks load in the load stage.
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
    private long _expected;
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
    /// Whether this transform may load as it goes: a file of at least <c>SLUICE_STREAM_BYTES</c>, appended, on the
    /// job's first attempt and the stage's first try. Of a split file: the first chunk of one whose chunks load one at a
    /// time in file order (a target with a key, <see cref="ChunkedLoad.LoadsInOrder"/>), and, when they load side by side,
    /// any chunk of a file spread over the cores (<see cref="ChunkedLoad.IsSpread"/>: small chunks, whose loads from
    /// artifacts would wait for every transform to end) or, with <c>SLUICE_STREAM_CHUNKS</c>, of any file. Everything
    /// else — replace, upsert, replays (which take out an earlier attempt's rows in the load's transaction) — loads in
    /// the load stage from the artifact.
    /// </summary>
    /// <remarks>
    /// The first chunk in file order: its keys are the first the index gets, as when it loads first in the load stage,
    /// and its rows go in while the other chunks are transformed, on a core the in-order loads left idle until then (a
    /// 2,000,000-row file into a table with a primary key: two chunks transformed side by side in 0.55 s, then loaded
    /// one after the other in 3.4 s, one backend at a time). The chunks after it load from their artifacts, in order.
    /// </remarks>
    public static bool Applies(StageContext context) =>
        context.Settings.StreamBytes > 0 && context.Job.SourceSize >= context.Settings.StreamBytes
        && context.Pipeline.Target is { Mode: LoadMode.Append } && context.Job.Attempt == 1
        && (context.Task.Chunk is null
            || (ChunkedLoad.LoadsInOrder(context.Job, context.Pipeline)
                ? context.Task.Chunk == 0
                : context.Settings.StreamChunks || ChunkedLoad.IsSpread(context.Job, context.Pipeline)))
        // A transform run again (after a failure, or taken over from a stalled worker whose COPY may still hold its
        // rows' keys) leaves the load to the load stage: it never holds a COPY open beside another one of its own rows.
        && context.Task is { Try: 1, TookOver: false };

    /// <summary>
    /// For a chunk, whether all chunks of the file are being transformed together, none finished yet: a streamed chunk
    /// holds its rows until all are counted, so it only starts when it will not wait for a chunk queued behind it (one
    /// queued a moment ago is given a quarter of a second to be claimed, a tenth when the file is spread or its chunks
    /// load in order). A file with more chunks than free workers streams no chunk at all: streaming only its last
    /// chunks would put their keys into a primary key's index first and every earlier chunk's into the middle of it
    /// (measured on 10 chunks: 1.15× the time instead of 0.98×).
    /// </summary>
    public static async Task<bool> ChunksUnderWayAsync(StageContext context, CancellationToken ct)
    {
        if (context.Task.Chunk is null) return true;
        // The first chunk of an in-order file would only gain its own load's time, and a spread file is small: neither
        // holds back its transform longer than a claim by an idle worker takes (when every worker is busy, it then
        // starts soon, and loads from its artifact).
        var grace = ChunkedLoad.LoadsInOrder(context.Job, context.Pipeline) || ChunkedLoad.IsSpread(context.Job, context.Pipeline)
            ? ShortClaimGrace : ClaimGrace;
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var standing = await context.ControlPlane.ChunkTallies.StandingAsync(context.Job.Id, context.Job.Attempt, ct);
            if (standing.Tallied > 0) return false;
            if (standing.StuckFor is not { } since) return true;
            // Chunks queued long ago wait for a free worker: no use waiting for them to be claimed.
            if (since >= grace || Stopwatch.GetElapsedTime(started) >= 2 * grace) return false;
            await Task.Delay(PollEvery, ct);
        }
    }

    private static readonly TimeSpan ClaimGrace = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ShortClaimGrace = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(20);
    /// <summary>How long a streamed chunk waits for the others to count before loading from the artifact instead.</summary>
    private static readonly TimeSpan ChunkWait = TimeSpan.FromSeconds(30);
    /// <summary>How often a waiting streamed chunk checks that no other chunk waits on it (<see cref="BlocksAnotherAsync"/>).</summary>
    private static readonly TimeSpan BlockCheckEvery = TimeSpan.FromMilliseconds(200);

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
            await LoadStage.PrepareTargetAsync(context, conn, target, columns,
                _ => Task.FromResult(TableDdl.CreateTableScript(target.Schema, target.Table, columns, target.KeyColumns, includeLineageColumn: true)), ct);
            tx = await conn.BeginTransactionAsync(ct);
            var (earlier, before) = await LoadLedger.FindAndCountAsync(conn, context.Job.Id, context.Task.Chunk ?? 0, table, ct);
            if (earlier is not null)
            {
                var part = context.Task.Chunk is { } c ? $" of chunk {c}" : "";
                context.Info($"ledger shows {earlier.Rows:N0} rows{part} already loaded into {table} by an earlier run; transforming without loading");
                await tx.RollbackAsync(ct);
                await tx.DisposeAsync();
                await conn.DisposeAsync();
                return null;
            }
            var copy = await conn.BeginRawBinaryCopyAsync(
                TargetStatements.BinaryCopy(table, columns.Select(c => c.Name).Append(TableDdl.LineageColumn)), ct);
            context.Info($"{(context.Task.Chunk is { } n ? $"chunk {n}: " : "")}loading rows into {table} as they are read (a streamed load)");
            return new StreamedLoad(context, conn, tx, copy, table, before, ct);
        }
        catch
        {
            if (tx is not null) await tx.DisposeAsync();
            await conn.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Ends the COPY once every row has been handed to it: the server's verdict on the rows (a duplicate key, a value
    /// of the wrong type) arrives here, before a chunk counts itself done. The commit checks the COPY stored
    /// <paramref name="expectedRows"/>.
    /// </summary>
    public async Task EndCopyAsync(long expectedRows)
    {
        await _feed.FinishAsync();
        await _copy.DisposeAsync();
        _expected = expectedRows;
    }

    /// <summary>
    /// Commits the rows with their ledger row (after <see cref="EndCopyAsync"/>). A chunk first waits until every chunk
    /// has counted and commits only if the whole file's rejects are within the pipeline's limits and no chunk failed;
    /// false when it did not commit (the load stage then loads the chunk from the artifact, or fails the job).
    /// </summary>
    public async Task<bool> CommitAsync(CancellationToken ct)
    {
        if (_context.Task.Chunk is { } chunk && !await AllChunksAllowAsync(chunk, ct)) return false;
        await LoadStage.CommitAsync(_context, _conn, _tx, _table, _context.Task.Chunk ?? 0, LoadStage.Loaded.Since(_insertedBefore), _expected, replacing: false, ct,
            how: " as transform wrote them");
        _committed = true;
        return true;
    }

    private async Task<bool> AllChunksAllowAsync(int chunk, CancellationToken ct)
    {
        var (job, pipeline) = (_context.Job, _context.Pipeline);
        var started = Stopwatch.GetTimestamp();
        var (lastSign, lastBlockCheck) = (started, started);
        while (true)
        {
            var standing = await _context.ControlPlane.ChunkTallies.StandingAsync(job.Id, job.Attempt, ct);
            if (standing.Failed)
            {
                _context.Info($"chunk {chunk}: another chunk of the file failed; its rows were not committed");
                return false;
            }
            if (standing.Tallied >= job.Chunks)
            {
                if (pipeline.Rejects.Allows(standing.Rejected, standing.Read)) return true;
                _context.Info($"chunk {chunk}: the file's chunks rejected {standing.Rejected:N0} of {standing.Read:N0} rows, more than the " +
                              "pipeline allows; its rows were not committed");
                return false;
            }
            if (standing.Stuck || Stopwatch.GetElapsedTime(started) > ChunkWait)
            {
                var why = standing.Stuck ? "the others are not all under way" : $"the others did not finish reading within {ChunkWait.TotalSeconds:0} s";
                _context.Info($"chunk {chunk}: {standing.Tallied} of {job.Chunks} chunks have counted and {why}; " +
                              "its rows were not committed, the load stage loads them from the artifact");
                return false;
            }
            if (Stopwatch.GetElapsedTime(lastBlockCheck) > BlockCheckEvery)
            {
                if (await BlocksAnotherAsync(ct))
                {
                    // A key of these rows is in another chunk too, whose COPY waits for this transaction to end while this
                    // one waits for that chunk to count: neither would move before ChunkWait. Rolled back, the other
                    // goes on; the load stage then loads this chunk from its artifact and meets the duplicate key.
                    _context.Info($"chunk {chunk}: another chunk's rows wait on a key these rows hold (the file holds a key twice); " +
                                  "its rows were not committed, the load stage loads them from the artifact");
                    return false;
                }
                lastBlockCheck = Stopwatch.GetTimestamp();
            }
            await Task.Delay(PollEvery, ct);
            // The rows wait in an idle transaction, which the server ends after ReusablePool.IdleTransactionLimit
            // (meant for stalled processes): a statement now and then shows this one is alive.
            if (Stopwatch.GetElapsedTime(lastSign) > ReusablePool.IdleTransactionLimit / 4)
            {
                await using var alive = new NpgsqlCommand("select 1", _conn);
                await alive.ExecuteScalarAsync(ct);
                lastSign = Stopwatch.GetTimestamp();
            }
        }
    }

    /// <summary>Whether a statement of another session waits for a lock this transaction holds: a COPY of another chunk
    /// stopped at a key these rows hold (only a unique index makes one COPY wait for another).</summary>
    private async Task<bool> BlocksAnotherAsync(CancellationToken ct)
    {
        await using var blocked = new NpgsqlCommand(
            "select exists (select 1 from pg_stat_activity where pid <> pg_backend_pid() and pg_backend_pid() = any(pg_blocking_pids(pid)))", _conn);
        return await blocked.ExecuteScalarAsync(ct) is true;
    }

    /// <summary>Rolls back whatever was not committed (a failed or cancelled transform, rejects over the limit).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_committed)
        {
            // The pump is stopped (its write cancelled, which breaks a connection stuck in it) before anything else
            // touches the connection: a connection is used by one thread at a time.
            await _feed.AbandonAsync();
            try { await _copy.CancelAsync(); } catch (Exception) { /* the transaction is rolled back below either way */ }
        }
        try { await _copy.DisposeAsync(); } catch (Exception) when (!_committed) { }
        await _tx.DisposeAsync();
        await _conn.DisposeAsync();
        await _feed.DisposeAsync();
    }
}
