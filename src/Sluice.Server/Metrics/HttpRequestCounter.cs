using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Sluice.Server.Metrics;

/// <summary>Counts answered HTTP requests by method, route pattern (not the raw path: bounded labels) and status.</summary>
internal sealed class HttpRequestCounter
{
    private readonly ConcurrentDictionary<(string Method, string Route, int Status), long> _counts = new();

    public void Count(HttpContext ctx)
    {
        var route = (ctx.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
        _counts.AddOrUpdate((ctx.Request.Method, route, ctx.Response.StatusCode), 1, (_, n) => n + 1);
    }

    public IEnumerable<KeyValuePair<(string Method, string Route, int Status), long>> Snapshot() =>
        _counts.ToArray().OrderBy(kv => kv.Key.Route, StringComparer.Ordinal).ThenBy(kv => kv.Key.Method).ThenBy(kv => kv.Key.Status);
}
