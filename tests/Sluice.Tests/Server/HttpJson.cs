using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Sluice.Tests.Server;

/// <summary>Small helpers for calling the API and reading its JSON answers.</summary>
internal static class HttpJson
{
    public static async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpClient client, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : ParseOrNull(text));
    }

    public static async Task<JsonNode> GetAsync(HttpClient client, string path)
    {
        var (status, body) = await SendAsync(client, HttpMethod.Get, path);
        Assert.True(status == HttpStatusCode.OK, $"GET {path}: {(int)status} {body?.ToJsonString()}");
        return body!;
    }

    /// <summary>Asserts the standard error body: {"error": {"code", "message"}} with a non-empty message.</summary>
    public static string ErrorCode(JsonNode? body)
    {
        Assert.NotNull(body);
        var error = body["error"];
        Assert.NotNull(error);
        Assert.False(string.IsNullOrWhiteSpace((string?)error["message"]));
        return (string)error["code"]!;
    }

    private static JsonNode? ParseOrNull(string text)
    {
        try { return JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException) { return JsonValue.Create(text); }
    }
}
