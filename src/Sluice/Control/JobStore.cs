using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Sluice.Errors;

namespace Sluice.Control;

/// <summary>Jobs in the control plane: creation on arrival (deduplicated), reading, listing and their logs.</summary>
public sealed class JobStore(NpgsqlDataSource db)
{
    private readonly JobCreations _creations = new(db);

    /// <summary>
    /// Records the receive stage: a job, its first attempt, events and first task, in one statement (committed with the
    /// jobs recorded at the same moment, <see cref="JobCreations"/>). When this exact content already arrived under this
    /// key, nothing is written and the existing job is returned with Created=false.
    /// </summary>
    public Task<(Guid Id, bool Created)> CreateAsync(NewJob job, string workspaceRoot, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        return CreateAsync(job, id, Storage.JobWorkspace.PathFor(workspaceRoot, id, DateTime.UtcNow), ct);
    }

    /// <summary>As above, for a job whose id and workspace were chosen before (its file already copied there).</summary>
    /// <param name="waitForDisk">False: the commit does not wait for the disk, and the caller makes the job durable with
    /// <see cref="WaitForDiskAsync"/> before it counts the object as received; the job's first task can start meanwhile.</param>
    public async Task<(Guid Id, bool Created)> CreateAsync(NewJob job, Guid id, string workspace, CancellationToken ct, bool waitForDisk = true)
    {
        var values = new object[] { id, job.Pipeline, job.Workflow, job.Bucket, job.Key, job.Size, job.Sha256,
            job.PipelineYaml, job.PipelineFile, workspace, job.RequestedBy, job.FirstStage, job.MaxTries, (int)job.Backoff.TotalMilliseconds };
        if (waitForDisk)
        {
            // With the jobs recorded at the same moment, in one commit (group commit).
            if (await _creations.CreateAsync(values, ct) is { } made) return made;
        }
        else
        {
            await using var batch = db.CreateBatch();
            // One implicit transaction for the batch: the setting applies to the statement after it.
            batch.BatchCommands.Add(new NpgsqlBatchCommand("select set_config('synchronous_commit', 'off', true)"));
            batch.BatchCommands.Add(JobCreations.Command(values));
            await using var r = await batch.ExecuteReaderAsync(ct);
            await r.NextResultAsync(ct);
            if (await r.ReadAsync(ct)) return (r.GetGuid(0), r.GetBoolean(1));
        }

        // A concurrent arrival of the same content won the insert after our statement's snapshot: read it now.
        await using var find = db.CreateCommand("select id from sluice.jobs where source_bucket = $1 and source_key = $2 and source_sha256 = $3");
        find.Parameters.Add(new() { Value = job.Bucket });
        find.Parameters.Add(new() { Value = job.Key });
        find.Parameters.Add(new() { Value = job.Sha256 });
        return ((Guid)(await find.ExecuteScalarAsync(ct))!, false);
    }

    /// <summary>Returns once every commit made before it is on disk: a transaction that only takes a transaction id
    /// commits with a flush of the log up to its commit record, which follows theirs.</summary>
    public async Task WaitForDiskAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("select txid_current()");
        await cmd.ExecuteScalarAsync(ct);
    }

    public async Task<JobRecord?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(RecordSql);
        cmd.Parameters.Add(new() { Value = id });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadRecord(r) : null;
    }

    /// <summary>The job <c>$1</c> as a <see cref="JobRecord"/> (read with <see cref="ReadRecord"/>; a claim returns the same
    /// columns, <c>claim_task.sql</c>).</summary>
    private const string RecordSql =
        "select id, pipeline, workflow, source_bucket, source_key, source_size, source_sha256, status, attempt, " +
        "pipeline_yaml, pipeline_file, workspace, chunks from sluice.jobs where id = $1";

    /// <param name="at">The column the record starts at (its columns in the order of <see cref="RecordSql"/>).</param>
    internal static JobRecord ReadRecord(NpgsqlDataReader r, int at = 0) =>
        new(r.GetGuid(at), r.GetString(at + 1), r.GetString(at + 2), r.GetString(at + 3), r.GetString(at + 4), r.GetInt64(at + 5),
            r.GetString(at + 6), r.GetString(at + 7), r.GetInt32(at + 8), r.GetString(at + 9), r.GetString(at + 10), r.GetString(at + 11),
            r.IsDBNull(at + 12) ? null : r.GetInt32(at + 12));

    /// <summary>The job's reconciliation counts as recorded so far.</summary>
    public async Task<JobCounts> GetCountsAsync(Guid id, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("select rows_read, rows_loaded, rows_rejected, rows_filtered from sluice.jobs where id = $1");
        cmd.Parameters.Add(new() { Value = id });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return new JobCounts();
        long? L(int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
        return new JobCounts(L(0), L(1), L(2), L(3));
    }

    /// <summary>Jobs newest first, filtered by status and pipeline when given.</summary>
    public async Task<IReadOnlyList<JobView>> ListAsync(string? status, string? pipeline, int limit, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(
            "select id from sluice.jobs where ($1::text is null or status = $1) and ($2::text is null or pipeline = $2) order by id desc limit $3");
        cmd.Parameters.Add(new() { Value = (object?)status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)pipeline ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = limit });
        var ids = new List<Guid>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) ids.Add(r.GetGuid(0));
        var views = new List<JobView>(ids.Count);
        foreach (var id in ids)
            if (await GetViewAsync(id, ct) is { } v) views.Add(v);
        return views;
    }

    /// <summary>
    /// Finds a job by full id or by a unique prefix of its text form; null when none matches. A prefix several jobs
    /// share is an error (<c>job.ambiguous</c>), not "no match": the job is there, the caller has to say which.
    /// </summary>
    public async Task<Guid?> ResolveIdAsync(string idOrPrefix, CancellationToken ct)
    {
        if (Guid.TryParse(idOrPrefix, out var id)) return id;
        if (idOrPrefix.Length == 0 || !idOrPrefix.All(c => Uri.IsHexDigit(c) || c == '-')) return null;
        // Counted up to 1,001 only: ids start with their time, so a short prefix can match nearly every job.
        await using var cmd = db.CreateCommand(
            "select id, count(*) over () from (select id from sluice.jobs where id::text like $1 || '%' limit 1001) m limit 1");
        cmd.Parameters.Add(new() { Value = idOrPrefix.ToLowerInvariant() });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        var matches = r.GetInt64(1);
        return matches == 1
            ? r.GetGuid(0)
            : throw new SluiceException("job.ambiguous",
                $"'{idOrPrefix}' is the start of {(matches > 1000 ? "more than 1,000" : matches.ToString("N0"))} job ids; give more characters of the id.");
    }

    /// <summary>A job with its stages and attempts: three queries in one round trip and one transaction (publish reads
    /// this for every job, so a burst of small files pays it once per job).</summary>
    public async Task<JobView?> GetViewAsync(Guid id, CancellationToken ct)
    {
        await using var batch = db.CreateBatch();
        return await ReadViewAsync(batch, id, ct);
    }

    private static async Task<JobView?> ReadViewAsync(NpgsqlBatch batch, Guid id, CancellationToken ct)
    {
        AddViewCommands(batch, id);
        await using var r = await batch.ExecuteReaderAsync(ct);
        return await ReadViewAsync(r, ct);
    }

    /// <summary>Adds the three queries of a job's view (<see cref="ReadViewAsync(NpgsqlDataReader, CancellationToken)"/>
    /// reads their results) to a batch, after any statements of its own.</summary>
    internal static void AddViewCommands(NpgsqlBatch batch, Guid id)
    {
        foreach (var sql in ViewQueries)
            batch.BatchCommands.Add(new NpgsqlBatchCommand(sql) { Parameters = { new() { Value = id } } });
    }

    private static readonly string[] ViewQueries =
    [
        "select id, pipeline, workflow, status, attempt, source_bucket, source_key, source_size, source_sha256, error_code, " +
        "error_message, rows_read, rows_loaded, rows_rejected, rows_filtered, workspace, created_at, started_at, finished_at, workspace_pruned_at, chunks " +
        "from sluice.jobs where id = $1",
        "select name, status, attempt, try, worker_id, started_at, finished_at, " +
        "round(extract(epoch from finished_at - started_at) * 1000)::bigint, error_code, error_message, outputs::text, chunk " +
        "from sluice.job_stages where job_id = $1 order by id",
        "select attempt, from_stage, reason, requested_by, created_at from sluice.job_attempts where job_id = $1 order by attempt",
    ];

    /// <summary>The job's view from a batch whose last three statements are <see cref="AddViewCommands"/>'s; results of
    /// statements before them (any with fewer columns than the job's row) are passed over.</summary>
    internal static async Task<JobView?> ReadViewAsync(NpgsqlDataReader r, CancellationToken ct)
    {
        while (!(r.FieldCount == ViewJobColumns && r.GetName(ViewJobColumns - 1) == "chunks"))
            if (!await r.NextResultAsync(ct)) return null;
        if (!await r.ReadAsync(ct)) return null;
        long? L(int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
        DateTime? T(int i) => r.IsDBNull(i) ? null : r.GetDateTime(i);
        var view = new JobView
        {
            Id = r.GetGuid(0), Pipeline = r.GetString(1), Workflow = r.GetString(2), Status = r.GetString(3), Attempt = r.GetInt32(4),
            Source = new(r.GetString(5), r.GetString(6), r.GetInt64(7), r.GetString(8)),
            Error = r.IsDBNull(9) ? null : new(r.GetString(9), r.IsDBNull(10) ? "" : r.GetString(10)),
            Counts = new(L(11), L(12), L(13), L(14)),
            Workspace = r.GetString(15), CreatedAt = r.GetDateTime(16), StartedAt = T(17), FinishedAt = T(18),
            WorkspacePrunedAt = T(19), Chunks = r.IsDBNull(20) ? null : r.GetInt32(20),
        };
        var stages = new List<JobView.StageView>();
        await r.NextResultAsync(ct);
        while (await r.ReadAsync(ct))
            stages.Add(new(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.IsDBNull(4) ? null : r.GetString(4),
                r.GetDateTime(5), r.IsDBNull(6) ? null : r.GetDateTime(6), r.IsDBNull(7) ? null : r.GetInt64(7),
                r.IsDBNull(8) ? null : new(r.GetString(8), r.IsDBNull(9) ? "" : r.GetString(9)),
                r.IsDBNull(10) ? null : JsonNode.Parse(r.GetString(10)), r.IsDBNull(11) ? null : r.GetInt32(11)));
        var attempts = new List<JobView.AttemptView>();
        await r.NextResultAsync(ct);
        while (await r.ReadAsync(ct))
            attempts.Add(new(r.GetInt32(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3), r.GetDateTime(4)));
        return view with { Stages = stages, Attempts = attempts };
    }

    private const int ViewJobColumns = 21;

    public async Task AppendLogAsync(Guid jobId, string level, string? workerId, string? stage, string message, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("insert into sluice.job_logs (job_id, level, worker_id, stage, message) values ($1, $2, $3, $4, $5)");
        cmd.Parameters.Add(new() { Value = jobId });
        cmd.Parameters.Add(new() { Value = level });
        cmd.Parameters.Add(new() { Value = (object?)workerId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)stage ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = message });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<JobLogLine>> GetLogsAsync(Guid jobId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("select at, level, worker_id, stage, message from sluice.job_logs where job_id = $1 order by id");
        cmd.Parameters.Add(new() { Value = jobId });
        var lines = new List<JobLogLine>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            lines.Add(new(r.GetDateTime(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4)));
        return lines;
    }
}
