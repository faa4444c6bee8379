using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sluice.Errors;
using Sluice.Observability;
using Sluice.Pipelines;

namespace Sluice.Server.Api;

/// <summary>
/// Turns exceptions into JSON error answers: engine errors keep their stable code, an oversized body is 413,
/// unreadable JSON is 400, anything unexpected is a 500 whose details go to the log and not to the caller.
/// </summary>
internal sealed class ErrorTranslation(RequestDelegate next, JobLog log)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        try
        {
            await next(ctx);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The caller went away; there is nobody to answer.
        }
        catch (Exception e) when (!ctx.Response.HasStarted)
        {
            var (status, code, message) = e switch
            {
                SluiceException s => (ApiError.StatusFor(s.Code), s.Code, s.Message),
                PipelineException p => (400, "pipeline.invalid", p.Message),
                BadHttpRequestException { StatusCode: 413 } => (413, "request.too_large", "the request body is larger than the server accepts."),
                BadHttpRequestException b => (b.StatusCode, "request.invalid",
                    $"the request body could not be read ({b.Message.TrimEnd('.')}); send it whole, with a Content-Length that " +
                    "matches it or in valid chunked encoding."),
                JsonException => (400, "request.json", "the request body is not the JSON this call expects; see /api/v1/openapi.json."),
                _ => (500, "internal", "the server failed to answer; the error is in its log."),
            };
            if (status == 500) log.Error($"{ctx.Request.Method} {ctx.Request.Path} failed: {e}");
            ctx.Response.Clear();
            await ApiError.WriteAsync(ctx, status, code, message);
        }
    }
}
