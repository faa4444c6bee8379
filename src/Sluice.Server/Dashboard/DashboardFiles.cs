using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Sluice.Server.Dashboard;

/// <summary>
/// Serves the dashboard: plain HTML, CSS and JavaScript embedded in this assembly. The page reaches nothing but this
/// server (the content security policy says so), and renders every value with textContent, never as markup.
/// </summary>
internal static class DashboardFiles
{
    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
                                  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly Dictionary<string, (byte[] Bytes, string Type)> Files = Load();

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext ctx) => Serve(ctx, "index.html"));
        app.MapGet("/dashboard/{file}", (HttpContext ctx, string file) => Serve(ctx, file));
    }

    private static IResult Serve(HttpContext ctx, string name)
    {
        if (!Files.TryGetValue(name, out var file)) return Api.ApiError.Result(404, "not_found", "no such dashboard file.");
        var headers = ctx.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.CacheControl = "no-cache";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        return Results.Bytes(file.Bytes, file.Type);
    }

    private static Dictionary<string, (byte[], string)> Load()
    {
        var asm = Assembly.GetExecutingAssembly();
        const string prefix = "Sluice.Dashboard.";
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var resource in asm.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = asm.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var name = resource[prefix.Length..];
            var type = Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            files[name] = (copy.ToArray(), type);
        }
        return files;
    }
}
