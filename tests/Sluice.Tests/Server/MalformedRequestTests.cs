using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Sluice.Tests.Server;

/// <summary>
/// Requests Kestrel refuses by itself, before any middleware runs (unparseable, or over its limits), get the API's JSON
/// error shape like every other refusal. Sent over a raw socket: HttpClient would refuse to send most of them.
/// </summary>
public sealed class MalformedRequestTests
{
    [Fact]
    public async Task An_over_long_request_target_is_414_with_a_json_error_naming_the_limit()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0, watch: false);

        var (status, headers, body) = await RawAsync(api, $"GET /api/v1/jobs/{new string('a', 20_000)} HTTP/1.1\r\nHost: {api.Server.Address.Authority}\r\n\r\n");

        Assert.Equal(414, status);
        Assert.Contains("Content-Type: application/json", headers);
        Assert.Equal("request.target_too_long", HttpJson.ErrorCode(body));
        Assert.Contains("at most 8192 bytes", (string)body!["error"]!["message"]!);
    }

    [Fact]
    public async Task Over_large_headers_are_431_with_a_json_error_naming_the_limits()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0, watch: false);

        var (status, _, body) = await RawAsync(api,
            $"GET /healthz HTTP/1.1\r\nHost: {api.Server.Address.Authority}\r\nX-Big: {new string('a', 40_000)}\r\n\r\n");

        Assert.Equal(431, status);
        Assert.Equal("request.headers_too_large", HttpJson.ErrorCode(body));
        Assert.Contains("32768 bytes", (string)body!["error"]!["message"]!);
    }

    [Theory]
    [InlineData("GET /healthz HTTP/1.1\r\nHost: {host}\r\nno colon in this header\r\n\r\n")]
    [InlineData("GET /healthz HTTP/1.1\r\n\r\n")]
    [InlineData("G(T /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n")]
    [InlineData("POST /api/v1/pipelines/validate HTTP/1.1\r\nHost: {host}\r\nContent-Length: many\r\n\r\n")]
    public async Task A_request_that_is_not_valid_http_is_400_with_a_json_error_saying_what_to_check(string request)
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0, watch: false);

        var (status, headers, body) = await RawAsync(api, request.Replace("{host}", api.Server.Address.Authority));

        Assert.Equal(400, status);
        Assert.Contains("Connection: close", headers);
        Assert.Equal("request.malformed", HttpJson.ErrorCode(body));
        Assert.Contains("Host header", (string)body!["error"]!["message"]!);
    }

    [Fact]
    public async Task A_malformed_request_after_a_good_one_on_the_same_connection_gets_the_json_error_and_the_good_one_its_own_answer()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0, watch: false);
        var host = api.Server.Address.Authority;

        // A HEAD has no body: its answer must come through as the application wrote it, however it looks.
        var text = await ExchangeAsync(api, $"HEAD /nosuch HTTP/1.1\r\nHost: {host}\r\n\r\nGET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n" +
                                             "GET /healthz HTTP/1.1\r\nbroken header\r\n\r\n");

        var answers = text.Split("HTTP/1.1 ")[1..];
        Assert.Equal(["404", "200", "400"], answers.Select(a => a[..3]));
        Assert.DoesNotContain("request.malformed", answers[0]);
        Assert.Contains("\"status\":\"ok\"", answers[1]);
        Assert.Contains("{\"error\":{\"code\":\"request.malformed\"", answers[2]);
    }

    [Fact]
    public async Task A_body_that_is_not_valid_chunked_encoding_is_400_saying_how_to_send_it()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0, watch: false);

        var (status, _, body) = await RawAsync(api, $"POST /api/v1/pipelines/validate HTTP/1.1\r\nHost: {api.Server.Address.Authority}\r\n" +
                                                   $"Authorization: Bearer {api.Keys["viewer"]}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");

        Assert.Equal(400, status);
        Assert.Equal("request.invalid", HttpJson.ErrorCode(body));
        Assert.Contains("chunked", (string)body!["error"]!["message"]!);
    }

    /// <summary>Sends <paramref name="request"/> as is; the answer's status, header block and JSON body.</summary>
    private static async Task<(int Status, string Headers, JsonNode? Body)> RawAsync(ApiTestServer api, string request)
    {
        var text = await ExchangeAsync(api, request);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, $"no complete answer: {text}");
        var body = text[(end + 4)..];
        if (text[..end].Contains("Transfer-Encoding: chunked", StringComparison.Ordinal)) body = Dechunk(body);
        return (int.Parse(text.Split(' ')[1]), text[..end], body.Length == 0 ? null : JsonNode.Parse(body));
    }

    private static string Dechunk(string chunked)
    {
        var text = new StringBuilder();
        for (var at = 0; ;)
        {
            var line = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[at..line], 16);
            if (size == 0) return text.ToString();
            text.Append(chunked, line + 2, size);
            at = line + 2 + size + 2;
        }
    }

    /// <summary>Writes <paramref name="request"/> and reads until the server closes the connection.</summary>
    private static async Task<string> ExchangeAsync(ApiTestServer api, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(api.Server.Address.Host, api.Server.Address.Port);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }
}
