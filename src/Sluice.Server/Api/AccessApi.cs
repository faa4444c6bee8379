using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Server.Access;

namespace Sluice.Server.Api;

/// <summary>Who the caller is (any role), and for admins: API keys and the audit log.</summary>
internal static class AccessApi
{
    /// <summary>The body of a key creation.</summary>
    public sealed record CreateKeyRequest(
        [property: JsonPropertyName("name")] string? Name,
        [property: JsonPropertyName("role")] string? Role);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/me", async (HttpContext ctx, ApiKeys keys) =>
        {
            var caller = ctx.Caller();
            return Results.Ok(new { name = caller.Name, role = ApiKeys.RoleName(caller.Role), open = ReferenceEquals(caller, AccessControl.LocalAdmin) && !await keys.AnyAsync(ctx.RequestAborted) });
        });
        var admin = new RequiredRole(ApiKeys.Role.Admin);
        api.MapGet("/keys", async (HttpContext ctx, ApiKeys keys) => Results.Ok(new { keys = await keys.ListAsync(ctx.RequestAborted) }))
            .WithMetadata(admin);
        api.MapPost("/keys", CreateAsync).WithMetadata(admin);
        api.MapDelete("/keys/{name}", async (HttpContext ctx, ApiKeys keys, string name) =>
        {
            ctx.Audit(name);
            return await keys.RevokeAsync(name, "api:" + ctx.Caller().Name, ctx.RequestAborted)
                ? Results.NoContent()
                : ApiError.Result(404, "key.not_found", $"no live key named '{Storage.ObjectKey.Printable(name)}'.");
        }).WithMetadata(admin);
        api.MapGet("/audit", async (HttpContext ctx, AuditLog audit, string? limit, string? before) =>
        {
            var size = (int)QueryNumber.Read(limit, "limit", "audit.limit", 100, 1, 1000);
            var beforeId = QueryNumber.ReadOptional(before, "before", "audit.before", 1, long.MaxValue);
            var entries = await audit.ListAsync(size, beforeId, ctx.RequestAborted);
            return Results.Ok(new { entries, next = entries.Count > 0 && entries.Count == size ? entries[^1].Id : (long?)null });
        }).WithMetadata(admin);
    }

    private static async Task<IResult> CreateAsync(HttpContext ctx, ApiKeys keys)
    {
        var body = await RequestBody.ReadJsonAsync(ctx.Request, new CreateKeyRequest(null, null));
        if (string.IsNullOrEmpty(body.Name) || string.IsNullOrEmpty(body.Role))
            throw new SluiceException("key.usage", "give {\"name\": \"...\", \"role\": \"viewer|operator|admin\"}.");
        ctx.Audit(body.Name, new JsonObject { ["role"] = body.Role });
        var created = await keys.CreateAsync(body.Name, ApiKeys.ParseRole(body.Role), "api:" + ctx.Caller().Name, ctx.RequestAborted);
        return Results.Json(created, statusCode: StatusCodes.Status201Created);
    }
}
