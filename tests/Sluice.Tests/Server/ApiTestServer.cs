using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Control;
using Sluice.Hosting;
using Sluice.Samples;
using Sluice.Server;
using Sluice.Tests.Infrastructure;
using Sluice.Tests.Workflows;

namespace Sluice.Tests.Server;

/// <summary>
/// A real Kestrel server on 127.0.0.1 (a free port) over a test's own control plane, with the payments pipeline,
/// workers and the folder trigger running, and one API key per role.
/// </summary>
internal sealed class ApiTestServer : IAsyncDisposable
{
    private readonly List<HttpClient> _clients = [];

    private ApiTestServer(TestEnvironment env, SluiceHost host, SluiceServer server)
    {
        Env = env;
        Host = host;
        Server = server;
    }

    public TestEnvironment Env { get; }
    public SluiceHost Host { get; }
    public SluiceServer Server { get; }
    public Dictionary<string, string> Keys { get; } = new();

    public static async Task<ApiTestServer> StartAsync(bool createKeys = true, int workers = 2, long maxUploadBytes = 1L << 30,
        string? pipelineYaml = null, bool watch = true, TextWriter? log = null)
    {
        var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", pipelineYaml ?? PaymentsPipeline.Yaml());
        var host = env.StartHost(workers, watch, log);
        var keys = new ApiKeys(env.ControlPlane.DataSource);
        var created = new Dictionary<string, string>();
        if (createKeys)
            foreach (var role in new[] { "viewer", "operator", "admin" })
                created[role] = (await keys.CreateAsync(role + "-key", ApiKeys.ParseRole(role), "test", CancellationToken.None)).Key;
        var server = await SluiceServer.StartAsync(host, new SluiceServerOptions
        {
            Listen = ListenAddress.Parse("127.0.0.1:0"), MaxUploadBytes = maxUploadBytes,
            EventPoll = TimeSpan.FromMilliseconds(100), EventGapGrace = TimeSpan.FromSeconds(1),
        }, CancellationToken.None);
        var api = new ApiTestServer(env, host, server);
        foreach (var (k, v) in created) api.Keys[k] = v;
        return api;
    }

    /// <summary>A client sending the key of <paramref name="role"/> (viewer, operator, admin), or no key for null.</summary>
    public HttpClient Client(string? role) => ClientWithKey(role is null ? null : Keys[role]);

    public HttpClient ClientWithKey(string? key)
    {
        var client = new HttpClient { BaseAddress = Server.Address, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        _clients.Add(client);
        return client;
    }

    /// <summary>A payments CSV of <paramref name="rows"/> rows.</summary>
    public string PaymentsFile(int rows, int seed = 7)
    {
        var path = Path.Combine(Env.Home, $"upload-{Guid.NewGuid():N}.csv");
        PaymentsCsv.Write(path, rows, seed);
        return File.ReadAllText(path);
    }

    /// <summary>Uploads through the API as operator and returns the answer's job id.</summary>
    public async Task<Guid> UploadAsync(string key, string content)
    {
        using var response = await Client("operator").PutAsync($"api/v1/buckets/inbox/objects/{key}", new StringContent(content, Encoding.UTF8, "text/csv"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        return Guid.Parse((string)body["jobs"]![0]!["id"]!);
    }

    /// <summary>Waits (with a deadline) until the jobs have ended and their notify stage has run.</summary>
    public async Task<JobView> WaitForJobAsync(Guid id)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await JobWaiter.WaitAsync(Env.ControlPlane, [id], TimeSpan.FromMilliseconds(50), cts.Token);
        return (await Env.ControlPlane.Jobs.GetViewAsync(id, cts.Token))!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients) c.Dispose();
        await Server.DisposeAsync();
        await Env.DisposeAsync();
    }
}
