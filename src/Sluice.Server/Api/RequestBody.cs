using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Sluice.Server.Api;

/// <summary>Reads small request bodies with a size cap, so a JSON or YAML call cannot be used to exhaust memory.</summary>
internal static class RequestBody
{
    public const int MaxSmallBody = 1 << 20;

    /// <summary>The JSON body as <typeparamref name="T"/>; an empty body gives <paramref name="empty"/>.</summary>
    public static async Task<T> ReadJsonAsync<T>(HttpRequest request, T empty)
    {
        var text = await ReadTextAsync(request);
        if (string.IsNullOrWhiteSpace(text)) return empty;
        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return JsonSerializer.Deserialize<T>(text, options) ?? empty;
    }

    public static async Task<string> ReadTextAsync(HttpRequest request)
    {
        if (request.ContentLength > MaxSmallBody) throw new BadHttpRequestException("body too large", StatusCodes.Status413PayloadTooLarge);
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int n;
        while ((n = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + n > MaxSmallBody) throw new BadHttpRequestException("body too large", StatusCodes.Status413PayloadTooLarge);
            buffer.Write(chunk, 0, n);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
