using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Control;

namespace Sluice.Server.Api;

/// <summary><c>GET /api/v1/stats</c>: the dashboard's KPIs since a time (its day) and throughput per minute.</summary>
internal static class StatsApi
{
    public static void Map(RouteGroupBuilder api) => api.MapGet("/stats", StatsAsync);

    private static async Task<IResult> StatsAsync(HttpContext ctx, ControlPlane cp, string? since, string? minutes)
    {
        var ct = ctx.RequestAborted;
        var from = DateTime.UtcNow.AddDays(-1);
        if (since is not null && !DateTime.TryParse(since, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out from))
            return ApiError.Result(400, "stats.since", $"since '{since}' is not a time; use ISO 8601 such as 2026-11-29T00:00:00+01:00.");
        var window = (int)QueryNumber.Read(minutes, "minutes", "stats.minutes", 60, 1, 24 * 60);
        await using var cmd = ServerQueries.Batch(cp.DataSource, "stats", DateTime.SpecifyKind(from, DateTimeKind.Utc), window);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var jobs = new Dictionary<string, long> { ["queued"] = 0, ["running"] = 0, ["succeeded"] = 0, ["failed"] = 0 };
        while (await r.ReadAsync(ct)) jobs[r.GetString(0)] = r.GetInt64(1);
        await r.NextResultAsync(ct);
        await r.ReadAsync(ct);
        var rows = new { read = r.GetInt64(0), loaded = r.GetInt64(1), rejected = r.GetInt64(2) };
        double? median = r.IsDBNull(3) ? null : r.GetDouble(3);
        await r.NextResultAsync(ct);
        var throughput = new List<object>();
        while (await r.ReadAsync(ct))
            throughput.Add(new { at = r.GetDateTime(0), jobs = r.GetInt64(1), rows = r.GetInt64(2), rows_per_second = r.GetInt64(2) / 60.0 });
        return Results.Ok(new { since = DateTime.SpecifyKind(from, DateTimeKind.Utc), jobs, rows, median_job_seconds = median, throughput });
    }
}
