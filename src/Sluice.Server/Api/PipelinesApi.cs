using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Errors;
using Sluice.Hosting;
using Sluice.Notify;
using Sluice.Pipelines;
using Sluice.Postgres;
using Sluice.Server.Access;

namespace Sluice.Server.Api;

/// <summary>
/// Pipelines: the catalog the server runs, one pipeline in detail, and validation of a YAML body without saving it.
/// Definitions are shown parsed, never as raw YAML: database URLs and webhook URLs may carry credentials.
/// </summary>
internal static class PipelinesApi
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/pipelines", (SluiceHost host) => Results.Ok(new { pipelines = host.Catalog.All.Select(Describe) }));
        api.MapGet("/pipelines/{name}", (SluiceHost host, string name) =>
            host.Catalog.Find(name) is { } p ? Results.Ok(Describe(p))
                : throw new SluiceException("pipeline.not_found", $"no pipeline named '{ObjectKey(name)}'; GET /api/v1/pipelines lists them."));
        api.MapPost("/pipelines/validate", ValidateAsync).WithMetadata(NotAudited.Instance);
    }

    private static async Task<IResult> ValidateAsync(HttpRequest request)
    {
        var yaml = await RequestBody.ReadTextAsync(request);
        try
        {
            var pipeline = PipelineLoader.Parse(yaml, "request");
            return Results.Ok(new { valid = true, errors = Array.Empty<object>(), pipeline = Describe(pipeline) });
        }
        catch (PipelineException e)
        {
            return Results.Ok(new
            {
                valid = false,
                errors = e.Errors.Select(x => new { line = x.Line, column = x.Column, key = x.Key, message = x.Message }),
                pipeline = (object?)null,
            });
        }
    }

    /// <summary>The pipeline as JSON with every credential left out.</summary>
    public static object Describe(Pipeline p) => new
    {
        name = p.Name,
        file = Path.GetFileName(p.SourceFile),
        on = new { bucket = p.Bucket, match = p.Match },
        workflow = p.Workflow.ToString().ToLowerInvariant(),
        source = new
        {
            format = p.SourceFormat, header = p.Csv.Header, delimiter = p.Csv.Delimiter.ToString(),
        },
        schema = p.Schema?.Select(c => new { name = c.Name, type = c.Type.ToSql(), nullable = c.Nullable }),
        target = p.Target is { } t ? new
        {
            table = $"{t.Schema}.{t.Table}", mode = t.Mode.ToString().ToLowerInvariant(), key = t.KeyColumns, create = t.Create,
            database = t.Database is null ? null : SafeDatabase(t.Database),
        } : null,
        convert = p.Convert is { } c ? new { format = c.Format.ToString().ToLowerInvariant(), compression = c.Compression.ToString().ToLowerInvariant() } : null,
        chunk = p.Workflow == WorkflowKind.Load
            ? p.Chunk.Enabled
                ? new
                {
                    enabled = true, rows = (long?)p.Chunk.Rows, bytes = (long?)p.Chunk.Bytes,
                    keyed_loads = (string?)(p.Chunk.KeyedLoads == KeyedChunkLoads.InOrder ? "in_order" : "side_by_side"), spread = p.Chunk.Spread,
                }
                : new { enabled = false, rows = (long?)null, bytes = (long?)null, keyed_loads = (string?)null, spread = false }
            : null,
        output = new { bucket = p.OutputBucket },
        retry = new { max_attempts = p.Retry.MaxAttempts, backoff_ms = (long)p.Retry.Backoff.TotalMilliseconds },
        rejects = new { max_rows = p.Rejects.MaxRows, max_ratio = p.Rejects.MaxRatio },
        notify = p.Notify.Select(n => new { webhook = WebhookNotifier.Redact(n.Webhook), events = n.Events }),
    };

    private static string SafeDatabase(string url)
    {
        try { return DatabaseUrl.Describe(DatabaseUrl.ToConnectionString(url)); }
        catch (SluiceException) { return "(not a valid database URL)"; }
    }

    private static string ObjectKey(string text) => Storage.ObjectKey.Printable(text);
}
