using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Configuration;
using Sluice.Control;
using Sluice.Hosting;
using Sluice.Server.Access;
using Sluice.Storage;

namespace Sluice.Server.Api;

/// <summary>
/// The two prunes of <c>sluice workspace prune</c> and <c>sluice history prune</c>, for operators who reach Sluice only
/// over HTTP. Admins only: what they remove cannot be brought back (a pruned job replays only from download).
/// </summary>
internal static class RetentionApi
{
    /// <summary>The body of a workspace prune: as the command's options.</summary>
    public sealed record WorkspacePruneRequest(
        [property: JsonPropertyName("older_than")] string? OlderThan,
        [property: JsonPropertyName("failed")] bool Failed,
        [property: JsonPropertyName("pipeline")] string? Pipeline,
        [property: JsonPropertyName("dry_run")] bool DryRun);

    /// <summary>The body of a history prune: as the command's options.</summary>
    public sealed record HistoryPruneRequest(
        [property: JsonPropertyName("older_than")] string? OlderThan,
        [property: JsonPropertyName("dry_run")] bool DryRun);

    public static void Map(RouteGroupBuilder api)
    {
        var admin = new RequiredRole(ApiKeys.Role.Admin);
        api.MapPost("/workspace/prune", WorkspaceAsync).WithMetadata(admin);
        api.MapPost("/history/prune", HistoryAsync).WithMetadata(admin);
    }

    private static async Task<IResult> WorkspaceAsync(HttpContext ctx, SluiceHost host)
    {
        var body = await RequestBody.ReadJsonAsync(ctx.Request, new WorkspacePruneRequest(null, false, null, false));
        ctx.Audit(body.Pipeline, new JsonObject { ["older_than"] = body.OlderThan, ["include_failed"] = body.Failed, ["dry_run"] = body.DryRun });
        if (Period(body.OlderThan) is not { } period) return PeriodError(body.OlderThan, "7d");
        var options = new WorkspacePruner.Options(period, body.Failed, body.Pipeline, body.DryRun);
        var pruner = new WorkspacePruner(host.ControlPlane.DataSource, host.Settings.WorkspaceRoot, host.Settings.Lease);
        var result = await pruner.PruneAsync(options, ctx.RequestAborted);
        ctx.Audit(body.Pipeline, new JsonObject
        {
            ["older_than"] = body.OlderThan, ["include_failed"] = body.Failed, ["dry_run"] = body.DryRun, ["jobs"] = result.Jobs,
            ["files"] = result.Files, ["bytes"] = result.Bytes, ["left_alone"] = result.LeftAlone.Count, ["failed"] = result.Failed.Count,
        });
        return Results.Ok(result);
    }

    private static async Task<IResult> HistoryAsync(HttpContext ctx, SluiceHost host)
    {
        var body = await RequestBody.ReadJsonAsync(ctx.Request, new HistoryPruneRequest(null, false));
        ctx.Audit(null, new JsonObject { ["older_than"] = body.OlderThan, ["dry_run"] = body.DryRun });
        if (Period(body.OlderThan) is not { } period) return PeriodError(body.OlderThan, "90d");
        var result = await new HistoryPruner(host.ControlPlane.DataSource).PruneAsync(period, body.DryRun, ctx.RequestAborted);
        ctx.Audit(null, new JsonObject
        {
            ["older_than"] = body.OlderThan, ["dry_run"] = body.DryRun, ["events"] = result.Events, ["log_lines"] = result.LogLines,
        });
        return Results.Ok(result);
    }

    private static TimeSpan? Period(string? text) => text is null ? null : Durations.Parse(text);

    private static IResult PeriodError(string? text, string example) =>
        ApiError.Result(400, "prune.older_than", text is null
            ? $"say how old what is removed must be with \"older_than\", such as \"{example}\", \"12h\" or \"30m\" (\"0s\": all of it)."
            : $"older_than '{ObjectKey.Printable(text)}' is not a period; give one such as \"{example}\", \"12h\" or \"30m\".");
}
