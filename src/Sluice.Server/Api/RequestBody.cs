using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.Errors;

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
        JsonNode? node;
        string? path;
        try
        {
            node = JsonNode.Parse(text);
            path = FindNul(node, "");
        }
        catch (ArgumentException)
        {
            // JsonObject refuses a key given twice ({"from": "load", "from": "transform"}) when it is first read.
            throw new SluiceException("request.json", "the request body names a key twice; send each key once.");
        }
        if (path is not null)
            throw new SluiceException("request.control_character",
                $"\"{Storage.ObjectKey.Printable(path)}\" in the request body holds a NUL character (\\u0000), which cannot be stored; send the text without it.");
        return node.Deserialize<T>(options) ?? empty;
    }

    /// <summary>The path of the first string or property name in <paramref name="node"/> holding a NUL, or null.</summary>
    private static string? FindNul(JsonNode? node, string path) => node switch
    {
        JsonObject o => o.Select(p => p.Key.Contains('\0') ? Join(path, p.Key) : FindNul(p.Value, Join(path, p.Key))).FirstOrDefault(f => f is not null),
        JsonArray a => a.Select((item, i) => FindNul(item, $"{path}[{i}]")).FirstOrDefault(f => f is not null),
        JsonValue v when v.TryGetValue<string>(out var text) && text.Contains('\0') => path.Length == 0 ? "(body)" : path,
        _ => null,
    };

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

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
