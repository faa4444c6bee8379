using System.Text.Json.Nodes;
using Sluice.Control;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Control;

public sealed class AuditLogTests
{
    [Fact]
    public async Task An_entry_whose_values_hold_control_characters_is_written_with_them_escaped()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var audit = new AuditLog(env.ControlPlane.DataSource);

        await audit.RecordAsync("admin-key", "admin", "POST /api/v1/keys", "a\0b", "127.0.0.1", 400,
            new JsonObject { ["name"] = "x\0y\n", ["list"] = new JsonArray("\u0001"), ["n"] = 3 }, CancellationToken.None);

        var entry = Assert.Single(await audit.ListAsync(10, null, CancellationToken.None));
        Assert.Equal("a\\u0000b", entry.Target);
        Assert.Equal(("x\\u0000y\\u000a", "\\u0001", 3), ((string)entry.Detail!["name"]!, (string)entry.Detail["list"]![0]!, (int)entry.Detail["n"]!));
    }
}
