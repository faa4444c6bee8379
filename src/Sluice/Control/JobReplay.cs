using System.Text.Json.Nodes;
using Npgsql;
using Sluice.Errors;
using Sluice.Pipelines;
using Sluice.Storage;
using Sluice.Workflows;

namespace Sluice.Control;

/// <summary>
/// Replays an ended job from a chosen stage as a new attempt. The outputs of the stages before it are reused only
/// after their checksums are verified against what those stages recorded; the pipeline is read again from its file,
/// so a replay picks up a corrected definition.
/// </summary>
public sealed class JobReplay(ControlPlane controlPlane)
{
    /// <summary>Which recorded outputs each stage leaves for the stages after it (stage → output names with files).</summary>
    private static readonly Dictionary<string, string[]> FileOutputs = new()
    {
        ["download"] = ["file"],
        ["transform"] = ["data", "ddl", "rejects"],
    };

    public async Task<int> ReplayAsync(Guid jobId, string fromStage, string? reason, string requestedBy, CancellationToken ct)
    {
        var job = await controlPlane.Jobs.GetAsync(jobId, ct) ?? throw new SluiceException("job.not_found", $"job {jobId} not found.");
        var workflow = WorkflowDefinition.For(job.Workflow);
        var replayable = workflow.ReplayableStages;
        if (fromStage == "merge")
            throw new SluiceException("replay.stage",
                $"cannot replay job {jobId} from merge: the staged chunks belong to the attempt that made them; replay from load (./sluice replay {jobId} --from load).");
        if (!replayable.Contains(fromStage))
            throw new SluiceException("replay.stage", $"cannot replay job {jobId} from '{fromStage}': choose one of {string.Join(", ", replayable)}.");

        await VerifyEarlierOutputsAsync(job, workflow, fromStage, ct);

        if (!File.Exists(job.PipelineFile))
            throw new SluiceException("replay.pipeline_missing",
                $"pipeline file {job.PipelineFile} of job {jobId} no longer exists; restore it to replay (replays use the current definition).");
        var yaml = await File.ReadAllTextAsync(job.PipelineFile, ct);
        var pipeline = PipelineLoader.Parse(yaml, job.PipelineFile);
        if (fromStage == WorkflowDefinition.NotifyStage && pipeline.Notify.Count == 0)
            throw new SluiceException("replay.stage",
                $"cannot replay job {jobId} from notify: pipeline {pipeline.Name} has no webhooks (notify:) to send its outcome to; add one, or replay from another stage.");

        await using var cmd = controlPlane.DataSource.CreateCommand(SqlQueries.Get("replay_job"));
        cmd.Parameters.Add(new NpgsqlParameter { Value = jobId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = fromStage });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)reason ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = requestedBy });
        cmd.Parameters.Add(new NpgsqlParameter { Value = yaml });
        cmd.Parameters.Add(new NpgsqlParameter { Value = pipeline.Retry.MaxAttempts });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (int)pipeline.Retry.Backoff.TotalMilliseconds });
        // A split file replays its chunked stages chunk by chunk, with the plan its download made.
        var chunks = workflow.RunsInChunks(fromStage) ? job.Chunks : null;
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)chunks ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = ReadsWorkspace(workflow, fromStage) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = fromStage == workflow.FirstTaskStage });
        var attempt = await cmd.ExecuteScalarAsync(ct);
        if (attempt is int a) return a;
        // Pruned since its outputs were verified (the prune held the job's row while it removed them).
        if (ReadsWorkspace(workflow, fromStage) && (await controlPlane.Jobs.GetViewAsync(jobId, ct))?.WorkspacePrunedAt is { } at)
            throw WorkspacePruned(jobId, fromStage, at);
        throw new SluiceException("replay.active",
            $"job {jobId} is {job.Status} and still has work queued or running; wait for it to end, then replay.");
    }

    /// <summary>Whether a replay from <paramref name="stage"/> reads files an earlier stage left in the workspace: every
    /// stage after the first (which fetches the source again) and before notify (which reads only the job).</summary>
    private static bool ReadsWorkspace(WorkflowDefinition workflow, string stage) =>
        stage != workflow.FirstTaskStage && stage != WorkflowDefinition.NotifyStage;

    private static SluiceException WorkspacePruned(Guid jobId, string fromStage, DateTime at) =>
        new("replay.workspace_pruned",
            $"cannot replay job {jobId} from {fromStage}: its workspace was pruned at {at:yyyy-MM-dd HH:mm:ss} UTC (sluice workspace prune), " +
            $"and the files that stage reads went with it; replay from download, which fetches the source again (./sluice replay {jobId} --from download).");

    /// <summary>Jobs that failed, optionally of one pipeline and since a time: candidates for a bulk replay.</summary>
    public async Task<IReadOnlyList<(Guid Id, string FailedStage)>> FailedJobsAsync(string? pipeline, DateTime? since, CancellationToken ct)
    {
        await using var cmd = controlPlane.DataSource.CreateCommand("""
            -- A failed merge replays from load: the staged chunks belong to the attempt that made them.
            -- A job whose workspace was pruned replays from download, which fetches its source again.
            select j.id, case when j.workspace_pruned_at is not null then 'download' else coalesce((select case s.name when 'merge' then 'load' else s.name end
                                   from sluice.job_stages s where s.job_id = j.id and s.attempt = j.attempt
                                   and s.status = 'failed' and s.name <> 'notify' order by s.id desc limit 1), 'download') end
            from sluice.jobs j
            where j.status = 'failed' and ($1::text is null or j.pipeline = $1) and ($2::timestamptz is null or j.created_at >= $2)
              and not exists (select 1 from sluice.tasks t where t.job_id = j.id and t.status in ('ready', 'running'))
            order by j.id
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)pipeline ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)since ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        var list = new List<(Guid, string)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add((r.GetGuid(0), r.GetString(1)));
        return list;
    }

    private async Task VerifyEarlierOutputsAsync(JobRecord job, WorkflowDefinition workflow, string fromStage, CancellationToken ct)
    {
        var view = await controlPlane.Jobs.GetViewAsync(job.Id, ct) ?? throw new SluiceException("job.not_found", $"job {job.Id} not found.");
        // Notify reads only the job, so a replay from it needs none of the earlier stages' files (nor a workspace).
        if (!ReadsWorkspace(workflow, fromStage)) return;
        if (view.WorkspacePrunedAt is { } pruned) throw WorkspacePruned(job.Id, fromStage, pruned);
        foreach (var stage in workflow.Stages.TakeWhile(s => s != fromStage))
        {
            if (!FileOutputs.TryGetValue(stage, out var names)) continue;
            // A stage that ran in chunks is verified chunk by chunk; the download of a split file also made the plan.
            int?[] chunks = workflow.RunsInChunks(stage) && job.Chunks is { } n ? [.. Enumerable.Range(0, n).Select(i => (int?)i)] : [null];
            if (stage == "download" && job.Chunks is not null) names = [.. names, "chunks"];
            foreach (var chunk in chunks)
            {
                var part = chunk is { } c ? $"stage {stage} (chunk {c})" : $"stage {stage}";
                var run = view.Stages.LastOrDefault(s => s.Name == stage && s.Chunk == chunk && s.Status == "succeeded")
                          ?? view.Stages.LastOrDefault(s => s.Name == stage && s.Chunk == chunk && s.Status == "failed" && s.Outputs is not null);
                if (run?.Outputs is not JsonObject outputs)
                    throw MustRerun(job, stage, fromStage, $"{part} never completed");
                foreach (var name in names)
                {
                    if (outputs[name] is not JsonObject file || file["path"]?.GetValue<string>() is not { } path || file["sha256"]?.GetValue<string>() is not { } sha)
                        throw MustRerun(job, stage, fromStage, $"{part} recorded no '{name}' output");
                    if (!File.Exists(path))
                        throw MustRerun(job, stage, fromStage, $"{path} is missing");
                    if (await JobWorkspace.Sha256Async(path, ct) != sha)
                        throw MustRerun(job, stage, fromStage, $"{path} changed since {part} wrote it");
                }
            }
        }
    }

    private static SluiceException MustRerun(JobRecord job, string stage, string from, string why) =>
        new("replay.outputs", $"cannot replay job {job.Id} from {from}: {why}; replay from {stage} (./sluice replay {job.Id} --from {stage}).");
}
