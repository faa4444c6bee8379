using System.Globalization;
using Microsoft.AspNetCore.Http;
using Sluice.Control;

namespace Sluice.Server.Metrics;

/// <summary>
/// <c>GET /metrics</c> in Prometheus text format, computed from the control plane at each scrape, so every Sluice
/// process pointed at the same database reports the same numbers: jobs by status, stage duration histograms, rows,
/// queue depth and lease take-overs; plus this process's HTTP request counts.
/// </summary>
internal static class MetricsEndpoint
{
    private static readonly double[] Bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

    public static async Task WriteAsync(HttpContext ctx, ControlPlane cp, HttpRequestCounter requests)
    {
        var ct = ctx.RequestAborted;
        var m = new PrometheusText();
        await using var cmd = ServerQueries.Batch(cp.DataSource, "metrics", Bounds);
        await using var r = await cmd.ExecuteReaderAsync(ct);

        m.Family("sluice_jobs", "gauge", "Jobs in the control plane by pipeline and status.");
        while (await r.ReadAsync(ct)) m.Sample("sluice_jobs", r.GetInt64(2), ("pipeline", r.GetString(0)), ("status", r.GetString(1)));

        m.Family("sluice_stage_duration_seconds", "histogram", "Duration of finished stage runs (succeeded, failed or retried) by stage.");
        await r.NextResultAsync(ct);
        var buckets = new List<(string Stage, double Le, long Count)>();
        while (await r.ReadAsync(ct)) buckets.Add((r.GetString(0), r.GetDouble(1), r.GetInt64(2)));
        await r.NextResultAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var stage = r.GetString(0);
            foreach (var b in buckets.Where(b => b.Stage == stage))
                m.Sample("sluice_stage_duration_seconds_bucket", b.Count, ("stage", stage), ("le", PrometheusText.Format(b.Le)));
            m.Sample("sluice_stage_duration_seconds_bucket", r.GetInt64(1), ("stage", stage), ("le", "+Inf"));
            m.Sample("sluice_stage_duration_seconds_sum", r.GetDouble(2), ("stage", stage));
            m.Sample("sluice_stage_duration_seconds_count", r.GetInt64(1), ("stage", stage));
        }

        await r.NextResultAsync(ct);
        var rows = new List<(string Pipeline, long Read, long Loaded, long Rejected, long Filtered)>();
        while (await r.ReadAsync(ct)) rows.Add((r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4)));
        foreach (var (name, pick, help) in new (string, Func<(string, long Read, long Loaded, long Rejected, long Filtered), long>, string)[]
                 {
                     ("sluice_rows_read", x => x.Read, "Rows read from source files, summed over jobs, by pipeline."),
                     ("sluice_rows_loaded", x => x.Loaded, "Rows loaded into targets, summed over jobs, by pipeline."),
                     ("sluice_rows_rejected", x => x.Rejected, "Rows set aside as rejects, summed over jobs, by pipeline."),
                     ("sluice_rows_filtered", x => x.Filtered, "Rows filtered out, summed over jobs, by pipeline."),
                 })
        {
            m.Family(name, "gauge", help);
            foreach (var x in rows) m.Sample(name, pick(x), ("pipeline", x.Pipeline));
        }

        await r.NextResultAsync(ct);
        var queue = new List<(string Stage, string Status, long Count, double OldestReady)>();
        while (await r.ReadAsync(ct)) queue.Add((r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetDouble(3)));
        m.Family("sluice_queue_depth", "gauge", "Tasks waiting (ready) or being worked on (running), by stage.");
        foreach (var q in queue) m.Sample("sluice_queue_depth", q.Count, ("stage", q.Stage), ("state", q.Status));
        m.Family("sluice_queue_oldest_ready_seconds", "gauge", "Age of the oldest task ready to run, by stage.");
        foreach (var q in queue.Where(q => q.Status == "ready")) m.Sample("sluice_queue_oldest_ready_seconds", q.OldestReady, ("stage", q.Stage));

        await r.NextResultAsync(ct);
        m.Family("sluice_lease_takeovers_total", "counter", "Stage runs taken over by another worker after their lease expired, by stage.");
        while (await r.ReadAsync(ct)) m.Sample("sluice_lease_takeovers_total", r.GetInt64(1), ("stage", r.GetString(0)));

        await r.NextResultAsync(ct);
        m.Family("sluice_events_last_id", "gauge", "Id of the newest event in the outbox.");
        if (await r.ReadAsync(ct)) m.Sample("sluice_events_last_id", r.GetInt64(0));

        m.Family("sluice_http_requests_total", "counter", "HTTP requests answered by this process, by method, route and status.");
        foreach (var (key, count) in requests.Snapshot())
            m.Sample("sluice_http_requests_total", count, ("method", key.Method), ("route", key.Route),
                ("status", key.Status.ToString(CultureInfo.InvariantCulture)));

        ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await ctx.Response.WriteAsync(m.ToString(), ct);
    }
}
