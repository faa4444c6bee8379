using Microsoft.AspNetCore.Http;
using Sluice.Control;
using Sluice.Observability;

namespace Sluice.Server.Access;

/// <summary>
/// Writes an audit entry for every mutating API call (POST, PUT, PATCH, DELETE), allowed or refused: the key name,
/// its role, method and path, the status answered, the remote address, and what the handler added
/// (<see cref="CallerContext.Audit"/>). Runs outside access control so that refusals are recorded too.
/// </summary>
internal sealed class AuditTrail(RequestDelegate next, AuditLog audit, JobLog log)
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
            var caller = ctx.FindCaller();
            var (target, detail) = ctx.AuditDetails();
            try
            {
                await audit.RecordAsync(caller?.Name ?? "anonymous", caller is null ? null : ApiKeys.RoleName(caller.Role),
                    $"{method} {ctx.Request.Path}", target, ctx.Source(), ctx.Response.StatusCode, detail, CancellationToken.None);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                log.Error($"could not write the audit entry of {method} {ctx.Request.Path} by {caller?.Name ?? "anonymous"}: {e.Message}");
            }
        }
    }
}
