using System.Net;
using Microsoft.AspNetCore.Http;
using Sluice.Control;
using Sluice.Server.Api;

namespace Sluice.Server.Access;

/// <summary>
/// Authenticates the bearer key of every request to an endpoint that requires a role, then checks the role:
/// 401 without a valid live key, 403 when the key's role is below the endpoint's. The key is looked up on every
/// request (no cache), so a revocation takes effect on the very next call. While no key exists at all, callers on
/// loopback act as the local admin: the server refuses to listen beyond loopback in that state.
/// </summary>
internal sealed class AccessControl(RequestDelegate next, ApiKeys keys)
{
    /// <summary>The caller of a keyless request from this machine while no key exists.</summary>
    public static readonly ApiKeys.Caller LocalAdmin = new("local", ApiKeys.Role.Admin);

    public async Task InvokeAsync(HttpContext ctx)
    {
        if (ctx.GetEndpoint()?.Metadata.GetMetadata<RequiredRole>() is not { } required)
        {
            await next(ctx);
            return;
        }
        var ct = ctx.RequestAborted;
        ApiKeys.Caller? caller;
        if (!string.IsNullOrEmpty(ctx.Request.Headers.Authorization))
        {
            if (ctx.BearerKey() is not { } key)
            {
                await Refuse(ctx, 401, "auth.scheme", "send the API key as 'Authorization: Bearer <key>'.");
                return;
            }
            caller = await keys.AuthenticateAsync(key, ct);
            if (caller is null)
            {
                await Refuse(ctx, 401, "auth.invalid_key", "the API key is unknown or revoked.");
                return;
            }
        }
        else if (IsLoopback(ctx.Connection.RemoteIpAddress) && !await keys.AnyAsync(ct))
        {
            caller = LocalAdmin;
        }
        else
        {
            await Refuse(ctx, 401, "auth.required", "this call needs an API key: send 'Authorization: Bearer <key>' (create one with `sluice keys create`).");
            return;
        }
        ctx.SetCaller(caller);
        if (caller.Role < required.Role)
        {
            await Refuse(ctx, 403, "auth.forbidden",
                $"key '{caller.Name}' has role {ApiKeys.RoleName(caller.Role)}; this call needs {ApiKeys.RoleName(required.Role)}.");
            return;
        }
        await next(ctx);
    }

    private static Task Refuse(HttpContext ctx, int status, string code, string message)
    {
        if (status == 401) ctx.Response.Headers.WWWAuthenticate = "Bearer realm=\"sluice\"";
        return ApiError.WriteAsync(ctx, status, code, message);
    }

    private static bool IsLoopback(IPAddress? address) => address is not null && IPAddress.IsLoopback(address);
}
