using System.Net;
using System.Net.Http.Headers;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Server;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Server;

public sealed class AccessControlTests
{
    /// <summary>Every guarded call with the least role that may make it; the bodies are chosen so allowed calls change little.</summary>
    private static readonly (string Method, string Path, string? Body, string Role)[] Calls =
    [
        ("GET", "api/v1/me", null, "viewer"),
        ("GET", "api/v1/jobs", null, "viewer"),
        ("GET", "api/v1/jobs/00000000-0000-0000-0000-000000000000", null, "viewer"),
        ("GET", "api/v1/jobs/00000000-0000-0000-0000-000000000000/logs", null, "viewer"),
        ("GET", "api/v1/jobs/00000000-0000-0000-0000-000000000000/rejects", null, "viewer"),
        ("GET", "api/v1/pipelines", null, "viewer"),
        ("GET", "api/v1/pipelines/payments", null, "viewer"),
        ("POST", "api/v1/pipelines/validate", "name: x", "viewer"),
        ("GET", "api/v1/stats", null, "viewer"),
        ("GET", "metrics", null, "viewer"),
        ("PUT", "api/v1/buckets/inbox/objects/unmatched/a.csv", "x", "operator"),
        ("POST", "api/v1/jobs/00000000-0000-0000-0000-000000000000/replay", """{"from": "load"}""", "operator"),
        ("POST", "api/v1/jobs/replay-failed", "{}", "operator"),
        ("GET", "api/v1/keys", null, "admin"),
        ("POST", "api/v1/keys", """{"name": "bad name!", "role": "viewer"}""", "admin"),
        ("DELETE", "api/v1/keys/no-such-key", null, "admin"),
        ("GET", "api/v1/audit", null, "admin"),
        ("POST", "api/v1/workspace/prune", """{"older_than": "7d", "dry_run": true}""", "admin"),
        ("POST", "api/v1/history/prune", """{"older_than": "90d", "dry_run": true}""", "admin"),
    ];

    private static readonly string[] Roles = ["viewer", "operator", "admin"];

    [Fact]
    public async Task Each_role_makes_the_calls_it_may_and_is_refused_the_others_with_403()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0);
        foreach (var role in Roles)
        {
            var client = api.Client(role);
            foreach (var (method, path, body, needed) in Calls)
            {
                var (status, answer) = await HttpJson.SendAsync(client, new HttpMethod(method), path, body);
                var allowed = Array.IndexOf(Roles, role) >= Array.IndexOf(Roles, needed);
                if (allowed)
                    Assert.True(status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && (int)status < 500,
                        $"{role} {method} {path}: {(int)status} {answer?.ToJsonString()}");
                else
                {
                    Assert.True(status == HttpStatusCode.Forbidden, $"{role} {method} {path}: {(int)status}, expected 403");
                    Assert.Equal("auth.forbidden", HttpJson.ErrorCode(answer));
                }
            }
        }
    }

    [Fact]
    public async Task Calls_without_a_key_or_with_a_wrong_one_get_401_with_a_json_error_and_public_routes_stay_open()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0);
        var wrong = api.Keys["admin"][..^4] + "AAAA";
        foreach (var (method, path, body, _) in Calls)
        {
            foreach (var (client, code) in new[] { (api.Client(null), "auth.required"), (api.ClientWithKey(wrong), "auth.invalid_key"), (api.ClientWithKey("nonsense"), "auth.invalid_key") })
            {
                var (status, answer) = await HttpJson.SendAsync(client, new HttpMethod(method), path, body);
                Assert.True(status == HttpStatusCode.Unauthorized, $"{method} {path}: {(int)status}");
                Assert.Equal(code, HttpJson.ErrorCode(answer));
            }
        }
        var basic = api.Client(null);
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");
        Assert.Equal("auth.scheme", HttpJson.ErrorCode((await HttpJson.SendAsync(basic, HttpMethod.Get, "api/v1/jobs")).Body));

        var anonymous = api.Client(null);
        Assert.Equal("ok", (string)(await HttpJson.GetAsync(anonymous, "healthz"))["status"]!);
        Assert.Equal("3.1.0", (string)(await HttpJson.GetAsync(anonymous, "api/v1/openapi.json"))["openapi"]!);
        using var page = await anonymous.GetAsync("");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task A_revoked_key_is_refused_on_its_very_next_request()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0);
        var viewer = api.Client("viewer");
        Assert.Equal("viewer-key", (string)(await HttpJson.GetAsync(viewer, "api/v1/me"))["name"]!);

        var (status, _) = await HttpJson.SendAsync(api.Client("admin"), HttpMethod.Delete, "api/v1/keys/viewer-key");
        Assert.Equal(HttpStatusCode.NoContent, status);

        var (after, body) = await HttpJson.SendAsync(viewer, HttpMethod.Get, "api/v1/me");
        Assert.Equal(HttpStatusCode.Unauthorized, after);
        Assert.Equal("auth.invalid_key", HttpJson.ErrorCode(body));
    }

    [Fact]
    public async Task An_admin_creates_a_key_that_is_shown_once_stored_only_as_a_salted_hash_and_works_at_once()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0);
        var (status, created) = await HttpJson.SendAsync(api.Client("admin"), HttpMethod.Post, "api/v1/keys", """{"name": "ci-bot", "role": "operator"}""");
        Assert.Equal(HttpStatusCode.Created, status);
        var key = (string)created!["key"]!;
        Assert.Equal(("ci-bot", "operator"), ((string)created["name"]!, (string)created["role"]!));

        var me = await HttpJson.GetAsync(api.ClientWithKey(key), "api/v1/me");
        Assert.Equal("operator", (string)me["role"]!);
        var listed = await HttpJson.GetAsync(api.Client("admin"), "api/v1/keys");
        Assert.DoesNotContain(key, listed.ToJsonString());
        Assert.DoesNotContain("sluice_", listed.ToJsonString());
        // sluice_<16 hex>_<secret>: the secret itself may hold '_' (base64url), so it is cut at its fixed place, and
        // looked for as text (in LIKE, '_' is a wildcard).
        var secret = key[("sluice_".Length + 16 + 1)..];
        Assert.Equal(43, secret.Length);
        Assert.Equal(0L, await api.Env.ScalarAsync<long>(
            "select count(*) from sluice.api_keys where position($1 in encode(hash, 'escape')) > 0 or lookup = $2", secret, key));
        var (again, error) = await HttpJson.SendAsync(api.Client("admin"), HttpMethod.Post, "api/v1/keys", """{"name": "ci-bot", "role": "viewer"}""");
        Assert.Equal((HttpStatusCode.Conflict, "key.exists"), (again, HttpJson.ErrorCode(error)));
    }

    [Fact]
    public async Task Mutating_calls_allowed_or_refused_are_in_the_audit_log_with_who_what_and_from_where()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0);
        await HttpJson.SendAsync(api.Client("viewer"), HttpMethod.Post, "api/v1/jobs/replay-failed", "{}");
        await HttpJson.SendAsync(api.Client("operator"), HttpMethod.Post, "api/v1/jobs/replay-failed", """{"pipeline": "payments"}""");
        await HttpJson.SendAsync(api.Client(null), HttpMethod.Delete, "api/v1/keys/viewer-key");
        await HttpJson.SendAsync(api.Client("viewer"), HttpMethod.Post, "api/v1/pipelines/validate", "name: x");

        var entries = (await HttpJson.GetAsync(api.Client("admin"), "api/v1/audit"))["entries"]!.AsArray();
        Assert.Equal(3, entries.Count);
        var (anonymous, allowed, refused) = (entries[0]!, entries[1]!, entries[2]!);
        Assert.Equal(("anonymous", "DELETE /api/v1/keys/viewer-key", 401), ((string)anonymous["actor"]!, (string)anonymous["action"]!, (int)anonymous["status"]!));
        Assert.Equal(("operator-key", "operator", 202, "payments"), ((string)allowed["actor"]!, (string)allowed["role"]!, (int)allowed["status"]!, (string)allowed["target"]!));
        Assert.Equal(("viewer-key", 403), ((string)refused["actor"]!, (int)refused["status"]!));
        Assert.All(entries, e => Assert.Equal("127.0.0.1", (string)e!["source"]!));
        Assert.All(entries, e => Assert.True(DateTime.UtcNow - (DateTime)e!["at"]! < TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task Without_any_key_the_api_is_open_on_loopback_only_and_refuses_to_listen_beyond_it()
    {
        await using var api = await ApiTestServer.StartAsync(createKeys: false, workers: 0);
        Assert.True(api.Server.OpenLocally);
        var me = await HttpJson.GetAsync(api.Client(null), "api/v1/me");
        Assert.Equal(("local", "admin", true), ((string)me["name"]!, (string)me["role"]!, (bool)me["open"]!));

        var e = await Assert.ThrowsAsync<SluiceException>(() => SluiceServer.StartAsync(api.Host,
            new SluiceServerOptions { Listen = ListenAddress.Parse("0.0.0.0:0") }, CancellationToken.None));
        Assert.Equal("server.no_keys", e.Code);

        // The first key closes the open door on the next request.
        await new ApiKeys(api.Env.ControlPlane.DataSource).CreateAsync("first", ApiKeys.Role.Admin, "test", CancellationToken.None);
        Assert.Equal(HttpStatusCode.Unauthorized, (await HttpJson.SendAsync(api.Client(null), HttpMethod.Get, "api/v1/me")).Status);
    }

    [Fact]
    public async Task The_keys_command_prints_a_working_key_once_as_json_and_serve_refuses_a_public_listen_without_keys()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var vars = new Dictionary<string, string>
        {
            ["SLUICE_HOME"] = env.Home, ["SLUICE_DATABASE_URL"] = env.ConnectionString, ["SLUICE_PIPELINES"] = env.Settings.PipelinesDirectory,
        };
        var refused = await CliProcess.RunAsync(vars, "serve", "--workers", "0", "--listen", "0.0.0.0:0");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("no API key exists", refused.StdErr + refused.StdOut);

        var (code, stdout, stderr) = await CliProcess.RunAsync(vars, "keys", "create", "--name", "ops", "--role", "operator", "--json");
        Assert.True(code == 0, stderr);
        var created = System.Text.Json.Nodes.JsonNode.Parse(stdout)!;
        Assert.Equal(("ops", "operator"), ((string)created["name"]!, (string)created["role"]!));
        var caller = await new ApiKeys(env.ControlPlane.DataSource).AuthenticateAsync((string)created["key"]!, CancellationToken.None);
        Assert.Equal(new ApiKeys.Caller("ops", ApiKeys.Role.Operator), caller);

        var listed = await CliProcess.RunAsync(vars, "keys", "list", "--json");
        Assert.DoesNotContain((string)created["key"]!, listed.StdOut);
        Assert.Equal(0, (await CliProcess.RunAsync(vars, "keys", "revoke", "ops")).ExitCode);
        Assert.Null(await new ApiKeys(env.ControlPlane.DataSource).AuthenticateAsync((string)created["key"]!, CancellationToken.None));
        Assert.Equal(2L, await env.ScalarAsync<long>("select count(*) from sluice.audit_log where source = 'cli'"));
    }
}
