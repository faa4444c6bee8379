using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Sluice.Control;

namespace Sluice.Server.Access;

/// <summary>The authenticated caller and the audit details of a request, kept on its <see cref="HttpContext"/>.</summary>
internal static class CallerContext
{
    private const string CallerItem = "sluice.caller";
    private const string AuditItem = "sluice.audit";

    public static void SetCaller(this HttpContext ctx, ApiKeys.Caller caller) => ctx.Items[CallerItem] = caller;

    public static ApiKeys.Caller? FindCaller(this HttpContext ctx) => ctx.Items[CallerItem] as ApiKeys.Caller;

    /// <summary>The key sent as <c>Authorization: Bearer &lt;key&gt;</c>; null without that header or with another scheme.</summary>
    public static string? BearerKey(this HttpContext ctx)
    {
        string? header = ctx.Request.Headers.Authorization;
        return header is not null && header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) ? header[BearerPrefix.Length..].Trim() : null;
    }

    private const string BearerPrefix = "Bearer ";

    /// <summary>The caller of an endpoint that requires a role (the authentication middleware has set it).</summary>
    public static ApiKeys.Caller Caller(this HttpContext ctx) =>
        ctx.FindCaller() ?? throw new InvalidOperationException("endpoint reached without an authenticated caller");

    /// <summary>Who the engine records as having asked (job attempts, logs): <c>api:&lt;key name&gt;</c>.</summary>
    public static string RequestedBy(this HttpContext ctx) => "api:" + ctx.Caller().Name;

    /// <summary>Adds what the audit entry of this request should say beyond method, path and status.</summary>
    public static void Audit(this HttpContext ctx, string? target, JsonObject? detail = null)
    {
        ctx.Items[AuditItem] = (target, detail);
    }

    public static (string? Target, JsonObject? Detail) AuditDetails(this HttpContext ctx) =>
        ctx.Items[AuditItem] is ValueTuple<string?, JsonObject?> t ? t : (null, null);

    /// <summary>The remote address as recorded in the audit log.</summary>
    public static string Source(this HttpContext ctx) => ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
