using System.Text.Json.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace Sluice.Storage;

/// <summary>
/// Workspace retention: removes the folders of jobs that ended a while ago (their arrival copy, load artifacts and
/// rejects; what was published stays in the output bucket) and records when, so <c>job</c> shows it and a replay that
/// would need those files is refused with what to do instead (replay from download). Jobs with work queued or running
/// are never touched, and failed jobs only when asked: their files are what a replay from the failed stage reads.
/// </summary>
/// <remarks>
/// Each batch of jobs is locked (their rows, in the control plane) while their folders are removed and marked in the
/// same transaction, so a replay never starts between the two. A folder is removed only when it is the job's own,
/// <c>{SLUICE_WORKSPACE}/{jobId}</c>: a recorded path anywhere else (another machine's mount, a moved workspace) is
/// left alone and reported.
/// </remarks>
/// <param name="quiet">A job whose tasks changed more recently than this is left for a later pass: a chunk cancelled
/// when its job failed runs on until its worker's next lease renewal finds out (pass the lease).</param>
public sealed class WorkspacePruner(NpgsqlDataSource db, string workspaceRoot, TimeSpan quiet, int batchSize = 200)
{
    private readonly string _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workspaceRoot));

    public sealed record Options(TimeSpan OlderThan, bool IncludeFailed = false, string? Pipeline = null, bool DryRun = false);

    /// <summary>A job whose recorded workspace was not removed, and why.</summary>
    public sealed record Skipped(
        [property: JsonPropertyName("job_id")] Guid JobId,
        [property: JsonPropertyName("workspace")] string Workspace,
        [property: JsonPropertyName("reason")] string Reason);

    public sealed record Result
    {
        [JsonPropertyName("dry_run")] public bool DryRun { get; init; }
        /// <summary>Jobs that ended before this time (the database's clock) were considered.</summary>
        [JsonPropertyName("ended_before")] public DateTime EndedBefore { get; init; }
        [JsonPropertyName("jobs")] public int Jobs { get; init; }
        [JsonPropertyName("files")] public long Files { get; init; }
        [JsonPropertyName("bytes")] public long Bytes { get; init; }
        /// <summary>Of <see cref="Jobs"/>, those whose folder was gone already (removed by hand): only marked.</summary>
        [JsonPropertyName("already_gone")] public int AlreadyGone { get; init; }
        /// <summary>Jobs whose recorded workspace is not this root's to remove (another mount, a link): not touched.</summary>
        [JsonPropertyName("left_alone")] public IReadOnlyList<Skipped> LeftAlone { get; init; } = [];
        /// <summary>Jobs whose folder could not be removed (permissions): not marked, tried again next time.</summary>
        [JsonPropertyName("failed")] public IReadOnlyList<Skipped> Failed { get; init; } = [];
        /// <summary>Failed jobs old enough whose workspaces were kept because failed jobs were not included.</summary>
        [JsonPropertyName("failed_kept")] public long FailedKept { get; init; }
    }

    public async Task<Result> PruneAsync(Options options, CancellationToken ct)
    {
        // Without the root (a shared mount absent on this machine) every job's folder would look gone already.
        if (!Directory.Exists(_root))
            throw new Errors.SluiceException("workspace.root_missing",
                $"the workspace root {_root} does not exist on this machine; prune where SLUICE_WORKSPACE is (the shared mount, when workers run on several machines).");
        string[] statuses = options.IncludeFailed ? ["succeeded", "failed"] : ["succeeded"];
        var cutoff = await Control.DatabaseClock.AgoAsync(db, options.OlderThan, ct);
        List<Skipped> leftAlone = [], failed = [];
        int jobs = 0, gone = 0;
        long files = 0, bytes = 0;
        (DateTime Finished, Guid Id) after = (DateTime.MinValue, Guid.Empty);
        while (true)
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            var batch = await NextBatchAsync(conn, statuses, options.Pipeline, cutoff, after, ct);
            var removed = new List<Guid>();
            foreach (var (id, workspace, _) in batch)
            {
                if (JobFolder(id, workspace, out var problem) is not { } folder)
                {
                    leftAlone.Add(new Skipped(id, workspace, problem!));
                    continue;
                }
                var (n, size) = Measure(folder);
                if (n < 0) gone++;
                else if (!options.DryRun && Remove(folder) is { } failure)
                {
                    failed.Add(new Skipped(id, workspace, failure));
                    continue;
                }
                removed.Add(id);
                files += Math.Max(n, 0);
                bytes += size;
            }
            // The folders are gone: their marks commit even when the command is being stopped.
            if (!options.DryRun && removed.Count > 0) await MarkAsync(conn, removed, CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
            jobs += removed.Count;
            if (batch.Count < batchSize) break;
            after = (batch[^1].Finished, batch[^1].Id);
        }
        var failedKept = options.IncludeFailed ? 0 : await CountFailedKeptAsync(options.Pipeline, cutoff, ct);
        return new Result
        {
            DryRun = options.DryRun, EndedBefore = cutoff, Jobs = jobs, AlreadyGone = gone, Files = files, Bytes = bytes,
            LeftAlone = leftAlone, Failed = failed, FailedKept = failedKept,
        };
    }

    /// <summary>The job's own folder, <c>{root}/{jobId}</c>, that holds its recorded workspace; null (and why) when
    /// the recorded path is anywhere else or is a link.</summary>
    internal string? JobFolder(Guid id, string workspace, out string? problem)
    {
        problem = null;
        string full;
        try
        {
            full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workspace));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            problem = $"'{workspace}' is not a usable path ({e.Message})";
            return null;
        }
        var folder = Path.GetDirectoryName(full);
        if (folder is null || Path.GetFileName(folder) != id.ToString() || Path.GetDirectoryName(folder) != _root)
        {
            problem = $"not inside this workspace root ({_root}/{id}); left alone: prune it where that path is the job's " +
                      "workspace (SLUICE_WORKSPACE set as when the job ran)";
            return null;
        }
        if (new DirectoryInfo(folder) is { Exists: true, LinkTarget: not null } || new DirectoryInfo(full) is { Exists: true, LinkTarget: not null })
        {
            problem = $"{folder} is a symbolic link; left alone";
            return null;
        }
        return folder;
    }

    private static readonly EnumerationOptions Everything = new()
    {
        RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true,
    };

    /// <summary>The files under <paramref name="folder"/> and their bytes; -1 files when there is no such folder.</summary>
    private static (long Files, long Bytes) Measure(string folder)
    {
        if (!Directory.Exists(folder)) return (-1, 0);
        long files = 0, bytes = 0;
        foreach (var f in new DirectoryInfo(folder).EnumerateFiles("*", Everything))
        {
            files++;
            bytes += f.Length;
        }
        return (files, bytes);
    }

    private static string? Remove(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"could not remove {folder}: {e.Message}; make it removable by this user and prune again";
        }
    }

    private async Task<List<(Guid Id, string Workspace, DateTime Finished)>> NextBatchAsync(NpgsqlConnection conn, string[] statuses,
        string? pipeline, DateTime cutoff, (DateTime Finished, Guid Id) after, CancellationToken ct)
    {
        // "no key update": blocks a replay's update of the row, not the foreign-key checks of log lines and events.
        await using var cmd = new NpgsqlCommand("""
            select j.id, j.workspace, j.finished_at from sluice.jobs j
            where j.workspace_pruned_at is null and j.finished_at is not null and j.finished_at < $1
              and (j.finished_at, j.id) > ($2, $3) and j.status = any($4) and ($5::text is null or j.pipeline = $5)
              and not exists (select 1 from sluice.tasks t where t.job_id = j.id
                              and (t.status in ('ready', 'running') or t.updated_at > now() - make_interval(secs => $7)))
            order by j.finished_at, j.id
            limit $6
            for no key update of j skip locked
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = cutoff, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter { Value = after.Finished == DateTime.MinValue ? DateTime.UnixEpoch : after.Finished, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter { Value = after.Id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = statuses });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)pipeline ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = batchSize });
        cmd.Parameters.Add(new NpgsqlParameter { Value = quiet.TotalSeconds });
        var rows = new List<(Guid, string, DateTime)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) rows.Add((r.GetGuid(0), r.GetString(1), r.GetDateTime(2)));
        return rows;
    }

    private static async Task MarkAsync(NpgsqlConnection conn, List<Guid> ids, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("update sluice.jobs set workspace_pruned_at = now(), updated_at = now() where id = any($1)", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task<long> CountFailedKeptAsync(string? pipeline, DateTime cutoff, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(
            "select count(*) from sluice.jobs where status = 'failed' and workspace_pruned_at is null and finished_at < $1 " +
            "and ($2::text is null or pipeline = $2)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = cutoff, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)pipeline ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
