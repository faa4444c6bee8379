using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Npgsql;
using NpgsqlTypes;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Hosting;
using Sluice.Server.Access;

namespace Sluice.Server.Api;

/// <summary>Jobs: a filtered, paged list; one job as <c>sluice job --json</c> prints it; its logs and rejects; replays.</summary>
internal static class JobsApi
{
    private const int DefaultPage = 50, MaxPage = 200;

    /// <summary>The body of a replay: the stage to start from (default: the failed stage of a failed job) and why.</summary>
    public sealed record ReplayRequest(
        [property: JsonPropertyName("from")] string? From,
        [property: JsonPropertyName("reason")] string? Reason);

    /// <summary>The body of a bulk replay of failed jobs.</summary>
    public sealed record BulkReplayRequest(
        [property: JsonPropertyName("pipeline")] string? Pipeline,
        [property: JsonPropertyName("since")] DateTime? Since,
        [property: JsonPropertyName("from")] string? From,
        [property: JsonPropertyName("reason")] string? Reason);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/jobs", ListAsync);
        api.MapGet("/jobs/{id}", GetAsync);
        api.MapGet("/jobs/{id}/logs", LogsAsync);
        api.MapGet("/jobs/{id}/rejects", RejectsAsync);
        api.MapPost("/jobs/{id}/replay", ReplayAsync).WithMetadata(new RequiredRole(ApiKeys.Role.Operator));
        api.MapPost("/jobs/replay-failed", ReplayFailedAsync).WithMetadata(new RequiredRole(ApiKeys.Role.Operator));
    }

    private static async Task<IResult> ListAsync(HttpContext ctx, SluiceHost host, string? status, string? pipeline, string? since,
        string? cursor, string? limit)
    {
        var ct = ctx.RequestAborted;
        if (status is not null && status is not ("queued" or "running" or "succeeded" or "failed"))
            return ApiError.Result(400, "jobs.status", $"status '{status}' is not one of queued, running, succeeded, failed.");
        DateTime? sinceTime = null;
        if (since is not null)
        {
            if (!DateTime.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t))
                return ApiError.Result(400, "jobs.since", $"since '{since}' is not a time; use ISO 8601 such as 2026-11-29T08:00:00Z.");
            sinceTime = t;
        }
        Guid? before = null;
        if (cursor is not null)
        {
            if (!Guid.TryParse(cursor, out var c)) return ApiError.Result(400, "jobs.cursor", "cursor must be the 'next' value of a previous page.");
            before = c;
        }
        var size = (int)QueryNumber.Read(limit, "limit", "jobs.limit", DefaultPage, 1, MaxPage);
        await using var cmd = host.ControlPlane.DataSource.CreateCommand(ServerQueries.Get("list_jobs"));
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)pipeline ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)sinceTime ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)before ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        cmd.Parameters.Add(new NpgsqlParameter { Value = size + 1 });
        var ids = new List<Guid>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) ids.Add(r.GetGuid(0));
        var jobs = new List<JobView>();
        foreach (var id in ids.Take(size))
            if (await host.ControlPlane.Jobs.GetViewAsync(id, ct) is { } v) jobs.Add(v);
        return Results.Ok(new { jobs, next = ids.Count > size ? ids[size - 1].ToString() : null });
    }

    private static async Task<IResult> GetAsync(HttpContext ctx, SluiceHost host, string id) =>
        Results.Ok(await FindAsync(host, id, ctx.RequestAborted));

    private static async Task<IResult> LogsAsync(HttpContext ctx, SluiceHost host, string id)
    {
        var job = await FindAsync(host, id, ctx.RequestAborted);
        return Results.Ok(new { job_id = job.Id, lines = await host.ControlPlane.Jobs.GetLogsAsync(job.Id, ctx.RequestAborted) });
    }

    private static async Task<IResult> RejectsAsync(HttpContext ctx, SluiceHost host, string id)
    {
        var job = await FindAsync(host, id, ctx.RequestAborted);
        var path = Path.GetFullPath(Path.Combine(job.Workspace, "transform", "rejects.csv"));
        var root = Path.GetFullPath(host.Settings.WorkspaceRoot) + Path.DirectorySeparatorChar;
        if (job.WorkspacePrunedAt is { } pruned)
            return ApiError.Result(404, "rejects.pruned",
                $"job {job.Id}'s workspace was pruned at {pruned:yyyy-MM-dd HH:mm:ss} UTC; the rejects it published are in its pipeline's output bucket under {job.Pipeline}/{job.Id}/rejects.csv.");
        if (!path.StartsWith(root, StringComparison.Ordinal) || !File.Exists(path))
            return ApiError.Result(404, "rejects.none", $"job {job.Id} has no rejects file (its transform stage has not written one).");
        return Results.File(path, "text/csv; charset=utf-8", $"{job.Id}-rejects.csv");
    }

    private static async Task<IResult> ReplayAsync(HttpContext ctx, SluiceHost host, string id)
    {
        var ct = ctx.RequestAborted;
        var body = await RequestBody.ReadJsonAsync(ctx.Request, new ReplayRequest(null, null));
        var job = await FindAsync(host, id, ct);
        var replay = new JobReplay(host.ControlPlane);
        var from = body.From;
        if (from is null && job.Status == "failed")
            from = (await replay.FailedJobsAsync(job.Pipeline, null, ct)).Where(j => j.Id == job.Id).Select(j => j.FailedStage).FirstOrDefault();
        ctx.Audit(job.Id.ToString(), new JsonObject { ["from"] = from, ["reason"] = body.Reason });
        if (from is null)
            return ApiError.Result(400, "replay.usage", $"say where to start with \"from\" (one of {string.Join(", ", Sluice.Workflows.WorkflowDefinition.For(job.Workflow).ReplayableStages)}); job {job.Id} is {job.Status}.");
        var attempt = await replay.ReplayAsync(job.Id, from, body.Reason, ctx.RequestedBy(), ct);
        ctx.Audit(job.Id.ToString(), new JsonObject { ["from"] = from, ["reason"] = body.Reason, ["attempt"] = attempt });
        return Results.Json(new { job_id = job.Id, attempt, from }, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> ReplayFailedAsync(HttpContext ctx, SluiceHost host)
    {
        var ct = ctx.RequestAborted;
        var body = await RequestBody.ReadJsonAsync(ctx.Request, new BulkReplayRequest(null, null, null, null));
        var replay = new JobReplay(host.ControlPlane);
        var replayed = new List<object>();
        var refused = new List<object>();
        foreach (var (jobId, stage) in await replay.FailedJobsAsync(body.Pipeline, body.Since?.ToUniversalTime(), ct))
        {
            var from = body.From ?? stage;
            try
            {
                var attempt = await replay.ReplayAsync(jobId, from, body.Reason ?? "bulk replay of failed jobs", ctx.RequestedBy(), ct);
                replayed.Add(new { job_id = jobId, attempt, from });
            }
            catch (SluiceException e)
            {
                refused.Add(new { job_id = jobId, error = new { code = e.Code, message = e.Message } });
            }
        }
        ctx.Audit(body.Pipeline, new JsonObject { ["replayed"] = replayed.Count, ["refused"] = refused.Count, ["from"] = body.From });
        return Results.Json(new { replayed, refused }, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<JobView> FindAsync(SluiceHost host, string id, CancellationToken ct)
    {
        var jobId = await host.ControlPlane.Jobs.ResolveIdAsync(id, ct)
                    ?? throw new SluiceException("job.not_found", $"no job matches '{Storage.ObjectKey.Printable(id)}'.");
        return await host.ControlPlane.Jobs.GetViewAsync(jobId, ct)
               ?? throw new SluiceException("job.not_found", $"job {jobId} not found.");
    }
}
