using Microsoft.AspNetCore.Http;

namespace Sluice.Server.Api;

/// <summary>Every error answer of the API: <c>{"error": {"code": "...", "message": "..."}}</c> with a stable code.</summary>
internal static class ApiError
{
    public static IResult Result(int status, string code, string message) =>
        Results.Json(new { error = new { code, message } }, statusCode: status);

    public static Task WriteAsync(HttpContext ctx, int status, string code, string message)
    {
        ctx.Response.StatusCode = status;
        return ctx.Response.WriteAsJsonAsync(new { error = new { code, message } });
    }

    /// <summary>The status an engine error code maps to: missing things 404, bad input 400, state conflicts 409.</summary>
    public static int StatusFor(string code) => code switch
    {
        "job.not_found" or "key.not_found" or "pipeline.not_found" => StatusCodes.Status404NotFound,
        "job.ambiguous" or "key.exists" or "key.conflict" or "replay.active" or "replay.outputs" or "replay.pipeline_missing" or "replay.workspace_pruned" or "route.ambiguous" or "workspace.root_missing" => StatusCodes.Status409Conflict,
        "route.no_pipeline" => StatusCodes.Status422UnprocessableEntity,
        _ => StatusCodes.Status400BadRequest,
    };

    /// <summary>The generic code for a status with no more specific one (answers produced by routing or Kestrel).</summary>
    public static (string Code, string Message) Generic(int status) => status switch
    {
        400 => ("request.invalid", "the request is not valid."),
        401 => ("auth.required", "send an API key as 'Authorization: Bearer <key>'."),
        403 => ("auth.forbidden", "this key's role may not do this."),
        404 => ("not_found", "no such resource; see /api/v1/openapi.json for the routes."),
        405 => ("method.not_allowed", "this resource does not take that method; see /api/v1/openapi.json."),
        413 => ("request.too_large", "the request body is larger than the server accepts."),
        415 => ("request.media_type", "the request body has an unsupported content type."),
        _ => ("http." + status, "the request failed."),
    };
}
