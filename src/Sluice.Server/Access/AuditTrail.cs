using Microsoft.AspNetCore.Http;
using Sluice.Control;
using Sluice.Observability;

namespace Sluice.Server.Access;

/// <summary>
/// Writes an audit entry for every mutating API call (POST, PUT, PATCH, DELETE), allowed or refused: the key name,
/// its role, method and path, the status answered, the remote address, and what the handler added
/// (<see cref="CallerContext.Audit"/>). Runs outside access control so that refusals are recorded too.
/// </summary>
internal sealed class AuditTrail(RequestDelegate next, AuditLog audit, ApiKeys keys, JobLog log)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        var method = ctx.Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) ||
            !ctx.Request.Path.StartsWithSegments("/api") || ctx.GetEndpoint()?.Metadata.GetMetadata<NotAudited>() is not null)
        {
            await next(ctx);
            return;
        }
        try
        {
            await next(ctx);
        }
        finally
        {
            var (target, detail) = ctx.AuditDetails();
            ApiKeys.Caller? caller = null;
            try
            {
                caller = await CallerAsync(ctx);
                await audit.RecordAsync(caller?.Name ?? "anonymous", caller is null ? null : ApiKeys.RoleName(caller.Role),
                    $"{method} {ctx.Request.Path}", target, ctx.Source(), ctx.Response.StatusCode, detail, CancellationToken.None);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                log.Error($"could not write the audit entry of {method} {ctx.Request.Path} by {caller?.Name ?? "anonymous"}: {e.Message}");
            }
        }
    }

    /// <summary>
    /// Who called: access control has said so for a routed call; a call routing refused (404, 405) never reached it,
    /// so its key, when one was sent, is looked up here.
    /// </summary>
    private async Task<ApiKeys.Caller?> CallerAsync(HttpContext ctx)
    {
        if (ctx.FindCaller() is { } known) return known;
        return ctx.BearerKey() is { } key ? await keys.AuthenticateAsync(key, CancellationToken.None) : null;
    }
}
