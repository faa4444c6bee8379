using System.Text.Json.Nodes;

namespace Sluice.Tests.Server;

public sealed class OpenApiTests
{
    [Fact]
    public async Task The_openapi_description_names_every_route_the_server_maps_and_no_other()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0);
        var doc = await HttpJson.GetAsync(api.Client(null), "api/v1/openapi.json");
        var described = doc["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => (m.Key.ToUpperInvariant(), p.Key)))
            .Order().ToList();
        var mapped = api.Server.Routes()
            .Select(r => (r.Method, r.Pattern.Replace("{**", "{")))
            .Order().ToList();
        Assert.Equal(mapped, described);
        Assert.All(doc["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject()), m => Assert.NotNull(m.Value!["responses"]));
    }
}
