using System.CommandLine;
using System.Text.Json.Nodes;
using Sluice.Cli.Output;
using Sluice.Control;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice keys create|list|revoke</c>: API keys of the HTTP API, recorded in the audit log.</summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print as JSON on stdout." };
        var name = new Option<string>("--name") { Description = "A name for the key: who or what holds it (letters, digits, . _ @ -).", Required = true };
        var role = new Option<string>("--role") { Description = "viewer (reads), operator (also uploads and replays) or admin (also manages keys, reads the audit log).", Required = true };
        role.AcceptOnlyFromAmong("viewer", "operator", "admin");
        var create = new Command("create", "Create an API key. The key is printed once and only its salted hash is stored: keep it now.") { name, role, json };
        create.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            await using var cp = await CliAction.OpenControlPlaneAsync(CliAction.Settings(), ct);
            var created = await new ApiKeys(cp.DataSource).CreateAsync(parse.GetValue(name)!, ApiKeys.ParseRole(parse.GetValue(role)!), CliAction.Who(), ct);
            await CliAction.AuditAsync(cp, "keys.create", created.Name, new JsonObject { ["role"] = created.Role }, ct);
            if (parse.GetValue(json)) JsonOutput.Print(created);
            else
            {
                Console.Out.WriteLine(created.Key);
                Terminal.Line($"created key '{created.Name}' with role {created.Role}; it is shown only this once. " +
                              "Send it as 'Authorization: Bearer <key>', or open the dashboard at /#key=<key>.");
            }
            return 0;
        }));

        var list = new Command("list", "List the live keys (names and roles; never the keys themselves).") { json };
        list.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            await using var cp = await CliAction.OpenControlPlaneAsync(CliAction.Settings(), ct);
            var keys = await new ApiKeys(cp.DataSource).ListAsync(ct);
            if (parse.GetValue(json)) { JsonOutput.Print(keys); return 0; }
            var table = new Table().Border(TableBorder.Simple).AddColumns("name", "role", "created", "by", "last used");
            foreach (var k in keys)
                table.AddRow(Markup.Escape(k.Name), k.Role, k.CreatedAt.ToString("u"), Markup.Escape(k.CreatedBy), k.LastUsedAt?.ToString("u") ?? "never");
            Terminal.Write(table);
            return 0;
        }));

        var revokeName = new Argument<string>("name") { Description = "The key to revoke; it stops working on its next request." };
        var revoke = new Command("revoke", "Revoke an API key at once.") { revokeName };
        revoke.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            await using var cp = await CliAction.OpenControlPlaneAsync(CliAction.Settings(), ct);
            var keyName = parse.GetValue(revokeName)!;
            var revoked = await new ApiKeys(cp.DataSource).RevokeAsync(keyName, CliAction.Who(), ct);
            await CliAction.AuditAsync(cp, "keys.revoke", keyName, new JsonObject { ["revoked"] = revoked }, ct);
            if (!revoked) { Terminal.Line($"error: no live key named '{keyName}'."); return CliAction.Failed; }
            Terminal.Line($"revoked key '{keyName}'.");
            return 0;
        }));
        return new Command("keys", "Manage the API keys of the HTTP API (sluice serve).") { create, list, revoke };
    }

}
