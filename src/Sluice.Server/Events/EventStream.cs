using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Sluice.Control;
using Sluice.Server.Access;

namespace Sluice.Server.Events;

/// <summary>
/// <c>GET /api/v1/events</c>: the events outbox as server-sent events. Each event's <c>id</c> is its outbox id, so a
/// subscriber that reconnects with <c>Last-Event-ID</c> (or <c>?after=</c>) receives exactly the events it missed, in
/// order. A new subscriber without either starts with the events that happen after it connects.
/// </summary>
internal static class EventStream
{
    private const int Batch = 500;

    public static void Map(RouteGroupBuilder api) => api.MapGet("/events", StreamAsync);

    /// <summary>How often an open stream checks that the key it was opened with still stands.</summary>
    private static readonly TimeSpan KeyCheckEvery = TimeSpan.FromSeconds(5);

    private static async Task StreamAsync(HttpContext ctx, ControlPlane cp, ApiKeys keys, SluiceServerOptions options, IHostApplicationLifetime lifetime,
        string? after, string? job)
    {
        long last;
        string? resume = ctx.Request.Headers["Last-Event-ID"];
        if (string.IsNullOrEmpty(resume)) resume = after;
        if (resume is not null)
        {
            if (!long.TryParse(resume, NumberStyles.None, CultureInfo.InvariantCulture, out last))
            {
                await Api.ApiError.WriteAsync(ctx, 400, "events.last_id", "Last-Event-ID (or after) must be the id of an event received before.");
                return;
            }
            // An id this database never issued comes from another one (reset, restored from an older backup): refused
            // rather than followed, since the events numbered up to it here are ones the subscriber has not seen.
            await using var newest = cp.DataSource.CreateCommand(Server.ServerQueries.Get("events_newest_id"));
            var newestId = (long)(await newest.ExecuteScalarAsync(ctx.RequestAborted))!;
            if (last > newestId)
            {
                await Api.ApiError.WriteAsync(ctx, 400, "events.last_id",
                    $"Last-Event-ID (or after) {last} is beyond the newest event ({newestId}): it must be the id of an event received before, " +
                    "and this one comes from another database (reset or restored). Reconnect without it to follow new events, or with after=0 to read every event kept.");
                return;
            }
        }
        else
        {
            await using var max = cp.DataSource.CreateCommand("select coalesce(max(id), 0) from sluice.events");
            last = (long)(await max.ExecuteScalarAsync(ctx.RequestAborted))!;
        }
        Guid? jobId = null;
        if (job is not null)
        {
            if (!Guid.TryParse(job, out var j)) { await Api.ApiError.WriteAsync(ctx, 400, "events.job", "job must be a full job id."); return; }
            jobId = j;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, lifetime.ApplicationStopping);
        var ct = stop.Token;
        ctx.Response.ContentType = "text/event-stream; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-cache, no-store";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        await ctx.Response.WriteAsync($"retry: 2000\n: resuming after {last}\n\n", ct);
        await ctx.Response.Body.FlushAsync(ct);
        var quietSince = DateTime.UtcNow;
        var keyCheckedAt = DateTime.UtcNow;
        var gap = new GapWatch();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (DateTime.UtcNow - keyCheckedAt >= KeyCheckEvery)
                {
                    // A revoked key is refused from its next request on; a stream is one long request, so it ends too
                    // (the client's reconnect is then refused with 401).
                    if (!await StillAllowedAsync(ctx, keys, ct))
                    {
                        await ctx.Response.WriteAsync("event: revoked\ndata: {\"error\": {\"code\": \"auth.revoked\", " +
                                                      "\"message\": \"the key this stream was opened with was revoked; sign in with another key.\"}}\n\n", ct);
                        await ctx.Response.Body.FlushAsync(ct);
                        return;
                    }
                    keyCheckedAt = DateTime.UtcNow;
                }
                var (events, newLast, read) = await ReadAsync(cp, last, jobId, gap, options.EventGapGrace, ct);
                last = newLast;
                if (events.Length > 0)
                {
                    await ctx.Response.WriteAsync(events, ct);
                    await ctx.Response.Body.FlushAsync(ct);
                    quietSince = DateTime.UtcNow;
                }
                else if (DateTime.UtcNow - quietSince >= options.EventHeartbeat)
                {
                    await ctx.Response.WriteAsync(": keep-alive\n\n", ct);
                    await ctx.Response.Body.FlushAsync(ct);
                    quietSince = DateTime.UtcNow;
                }
                if (read < Batch) await Task.Delay(options.EventPoll, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The subscriber left or the server is stopping; it resumes from the last id it saw.
        }
    }

    /// <summary>Whether the caller that opened the stream would still be let in: its key not revoked, or (opened without
    /// one, while no key existed) still no key.</summary>
    private static async Task<bool> StillAllowedAsync(HttpContext ctx, ApiKeys keys, CancellationToken ct)
    {
        return ctx.BearerKey() is { } key
            ? await keys.AuthenticateAsync(key, ct) is not null
            : !await keys.AnyAsync(ct);
    }

    /// <summary>
    /// The next events after <paramref name="last"/> as SSE text, and the id to continue after. Stops at a gap in ids
    /// until it has been seen for the grace period: a transaction holding the missing id may still commit.
    /// </summary>
    private static async Task<(string Text, long Last, int Read)> ReadAsync(ControlPlane cp, long last, Guid? job, GapWatch gap, TimeSpan gapGrace,
        CancellationToken ct)
    {
        await using var cmd = cp.DataSource.CreateCommand(Server.ServerQueries.Get("events_after"));
        cmd.Parameters.Add(new NpgsqlParameter { Value = last });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Batch });
        var text = new StringBuilder();
        var read = 0;
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var id = r.GetInt64(0);
            var createdAt = r.GetDateTime(4);
            if (id != last + 1)
            {
                gap.Since ??= DateTime.UtcNow;
                if (DateTime.UtcNow - gap.Since < gapGrace) break;
            }
            gap.Since = null;
            read++;
            last = id;
            // Filtered here, not in SQL: the gap rule needs every id.
            if (job is { } only && (r.IsDBNull(1) || r.GetGuid(1) != only)) continue;
            var data = new JsonObject
            {
                ["id"] = id,
                ["type"] = r.GetString(2),
                ["job_id"] = r.IsDBNull(1) ? null : r.GetGuid(1).ToString(),
                ["at"] = createdAt.ToString("O", CultureInfo.InvariantCulture),
                ["payload"] = JsonNode.Parse(r.GetString(3)),
            };
            text.Append("id: ").Append(id.ToString(CultureInfo.InvariantCulture)).Append('\n')
                .Append("event: ").Append(r.GetString(2)).Append('\n')
                .Append("data: ").Append(data.ToJsonString(JsonOptions)).Append("\n\n");
        }
        return (text.ToString(), last, read);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>When this stream first saw the gap it is waiting on.</summary>
    private sealed class GapWatch
    {
        public DateTime? Since { get; set; }
    }
}
