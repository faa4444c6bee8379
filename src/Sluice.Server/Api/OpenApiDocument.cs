using System.Reflection;
using Microsoft.AspNetCore.Http;

namespace Sluice.Server.Api;

/// <summary><c>GET /api/v1/openapi.json</c>: the hand-written OpenAPI 3.1 description of every route, embedded in the assembly.</summary>
internal static class OpenApiDocument
{
    private static readonly Lazy<byte[]> Document = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Sluice.Server.openapi.json")!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static IResult Serve() => Results.Bytes(Document.Value, "application/json; charset=utf-8");
}
