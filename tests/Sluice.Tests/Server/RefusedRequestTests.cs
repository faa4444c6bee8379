using System.Net;
using System.Text.Json.Nodes;

namespace Sluice.Tests.Server;

/// <summary>What a caller's mistake gets: a 4xx with the JSON error shape naming what to fix, and an audit entry.</summary>
public sealed class RefusedRequestTests
{
    [Fact]
    public async Task Nul_in_a_query_parameter_or_a_json_string_is_refused_naming_it_and_the_refusal_is_audited()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0);
        var (query, queryError) = await HttpJson.SendAsync(api.Client("viewer"), HttpMethod.Get, "api/v1/jobs?pipeline=%00");
        Assert.Equal((HttpStatusCode.BadRequest, "request.control_character"), (query, HttpJson.ErrorCode(queryError)));
        Assert.Contains("'pipeline'", (string)queryError!["error"]!["message"]!);

        var (body, bodyError) = await HttpJson.SendAsync(api.Client("operator"), HttpMethod.Post, "api/v1/jobs/replay-failed", """{"pipeline": "\u0000"}""");
        Assert.Equal((HttpStatusCode.BadRequest, "request.control_character"), (body, HttpJson.ErrorCode(bodyError)));
        Assert.Contains("\"pipeline\"", (string)bodyError!["error"]!["message"]!);
        var (nested, nestedError) = await HttpJson.SendAsync(api.Client("admin"), HttpMethod.Post, "api/v1/keys", """{"name": "a\u0000", "role": "viewer"}""");
        Assert.Equal((HttpStatusCode.BadRequest, "request.control_character"), (nested, HttpJson.ErrorCode(nestedError)));

        var entries = (await HttpJson.GetAsync(api.Client("admin"), "api/v1/audit"))["entries"]!.AsArray();
        Assert.Equal([("POST /api/v1/keys", 400), ("POST /api/v1/jobs/replay-failed", 400)],
            entries.Select(e => ((string)e!["action"]!, (int)e["status"]!)));
    }

    [Fact]
    public async Task Routing_refusals_carry_the_json_error_shape_and_are_audited_under_the_key_that_made_them()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0);
        var admin = api.Client("admin");
        foreach (var (method, path, status, code) in new[]
                 {
                     (HttpMethod.Post, "healthz", HttpStatusCode.MethodNotAllowed, "method.not_allowed"),
                     (HttpMethod.Get, "nosuch", HttpStatusCode.NotFound, "not_found"),
                     (HttpMethod.Delete, "api/v1/jobs/x", HttpStatusCode.MethodNotAllowed, "method.not_allowed"),
                     (HttpMethod.Post, "api/v1/nosuch", HttpStatusCode.NotFound, "not_found"),
                 })
        {
            var (answered, error) = await HttpJson.SendAsync(admin, method, path);
            Assert.Equal((status, code), (answered, HttpJson.ErrorCode(error)));
        }

        var entries = (await HttpJson.GetAsync(admin, "api/v1/audit"))["entries"]!.AsArray();
        Assert.Equal([("POST /api/v1/nosuch", 404), ("DELETE /api/v1/jobs/x", 405)], entries.Select(e => ((string)e!["action"]!, (int)e["status"]!)));
        Assert.All(entries, e => Assert.Equal(("admin-key", "admin"), ((string)e!["actor"]!, (string)e["role"]!)));
    }

    [Theory]
    [InlineData("api/v1/jobs?limit=abc", "jobs.limit", "limit 'abc'", "1 to 200")]
    [InlineData("api/v1/jobs?limit=0", "jobs.limit", "limit '0'", "1 to 200")]
    [InlineData("api/v1/jobs?limit=-1", "jobs.limit", "limit '-1'", "1 to 200")]
    [InlineData("api/v1/audit?limit=abc", "audit.limit", "limit 'abc'", "1 to 1000")]
    [InlineData("api/v1/audit?before=abc", "audit.before", "before 'abc'", "from 1")]
    [InlineData("api/v1/stats?minutes=abc", "stats.minutes", "minutes 'abc'", "1 to 1440")]
    public async Task A_number_parameter_that_is_no_number_or_out_of_range_is_refused_naming_it_and_its_range(
        string path, string code, string named, string range)
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0);
        var (status, error) = await HttpJson.SendAsync(api.Client("admin"), HttpMethod.Get, path);
        Assert.Equal((HttpStatusCode.BadRequest, code), (status, HttpJson.ErrorCode(error)));
        var message = (string)error!["error"]!["message"]!;
        Assert.Contains(named, message);
        Assert.Contains(range, message);
    }
}
