using System.Net;
using System.Text.Json.Nodes;

namespace Sluice.Tests.Server;

/// <summary>The prunes over HTTP (<c>POST /api/v1/workspace/prune</c>, <c>/history/prune</c>): the same outcome as the
/// commands, on a real server, real folders and a real control plane (jobs aged by moving their end back).</summary>
public sealed class RetentionApiTests
{
    private static async Task AgeAsync(ApiTestServer api, Guid job)
    {
        await api.Env.ExecuteAsync($"update sluice.jobs set finished_at = now() - interval '2 days' where id = '{job}'");
        await api.Env.ExecuteAsync($"update sluice.tasks set updated_at = now() - interval '2 days' where job_id = '{job}'");
        await api.Env.ExecuteAsync($"update sluice.events set created_at = now() - interval '2 days' where job_id = '{job}'");
    }

    [Fact]
    public async Task An_admin_prunes_old_workspaces_and_events_dry_run_first_and_the_audit_log_says_what_went()
    {
        await using var api = await ApiTestServer.StartAsync();
        var old = await api.WaitForJobAsync(await api.UploadAsync("payments/old.csv", api.PaymentsFile(30, seed: 1)));
        var recent = await api.WaitForJobAsync(await api.UploadAsync("payments/recent.csv", api.PaymentsFile(20, seed: 2)));
        Assert.Equal(("succeeded", "succeeded"), (old.Status, recent.Status));
        await AgeAsync(api, old.Id);
        var oldFolder = Path.Combine(api.Env.Settings.WorkspaceRoot, old.Id.ToString());
        var files = Directory.GetFiles(oldFolder, "*", SearchOption.AllDirectories).Length;
        var admin = api.Client("admin");

        var (dryStatus, dry) = await HttpJson.SendAsync(admin, HttpMethod.Post, "api/v1/workspace/prune", """{"older_than": "1d", "dry_run": true}""");
        Assert.Equal(HttpStatusCode.OK, dryStatus);
        Assert.Equal((true, 1, files), ((bool)dry!["dry_run"]!, (int)dry["jobs"]!, (int)dry["files"]!));
        Assert.True(Directory.Exists(oldFolder), "a dry run removes nothing");

        var (status, pruned) = await HttpJson.SendAsync(admin, HttpMethod.Post, "api/v1/workspace/prune", """{"older_than": "1d", "pipeline": "payments"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((false, 1, files), ((bool)pruned!["dry_run"]!, (int)pruned["jobs"]!, (int)pruned["files"]!));
        Assert.Empty(pruned["failed"]!.AsArray());
        Assert.False(Directory.Exists(oldFolder));
        Assert.True(Directory.Exists(Path.Combine(api.Env.Settings.WorkspaceRoot, recent.Id.ToString())), "a job that ended a moment ago keeps its files");
        var job = await HttpJson.GetAsync(admin, $"api/v1/jobs/{old.Id}");
        Assert.NotNull((string?)job["workspace_pruned_at"]);

        var oldEvents = await api.Env.ScalarAsync<long>("select count(*) from sluice.events where job_id = $1", old.Id);
        var (historyStatus, history) = await HttpJson.SendAsync(admin, HttpMethod.Post, "api/v1/history/prune", """{"older_than": "1d"}""");
        Assert.Equal(HttpStatusCode.OK, historyStatus);
        Assert.Equal(oldEvents, (long)history!["events"]!);
        Assert.Equal(0L, await api.Env.ScalarAsync<long>("select count(*) from sluice.events where job_id = $1", old.Id));
        Assert.True(await api.Env.ScalarAsync<long>("select count(*) from sluice.events where job_id = $1", recent.Id) > 0);

        var entries = (await HttpJson.GetAsync(admin, "api/v1/audit"))["entries"]!.AsArray();
        var workspace = entries.First(e => (string)e!["action"]! == "POST /api/v1/workspace/prune")!;
        Assert.Equal(("payments", 200, 1), ((string)workspace["target"]!, (int)workspace["status"]!, (int)workspace["detail"]!["jobs"]!));
        var historyEntry = entries.First(e => (string)e!["action"]! == "POST /api/v1/history/prune")!;
        Assert.Equal(oldEvents, (long)historyEntry["detail"]!["events"]!);
    }

    [Theory]
    [InlineData("api/v1/workspace/prune", "{}")]
    [InlineData("api/v1/workspace/prune", """{"older_than": "a week"}""")]
    [InlineData("api/v1/history/prune", """{"older_than": "-5d"}""")]
    [InlineData("api/v1/history/prune", "")]
    public async Task A_prune_without_a_period_it_can_read_is_refused_with_400_and_removes_nothing(string path, string body)
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0);
        var (status, answer) = await HttpJson.SendAsync(api.Client("admin"), HttpMethod.Post, path, body);
        Assert.Equal((HttpStatusCode.BadRequest, "prune.older_than"), (status, HttpJson.ErrorCode(answer)));
        Assert.Contains("older_than", (string)answer!["error"]!["message"]!);
    }

    [Fact]
    public async Task A_workspace_prune_with_the_workspace_root_missing_is_a_409_and_marks_nothing()
    {
        // The folder watcher runs too: it passes over the uploaded object (its job was recorded by the upload) rather than
        // staging a copy of it under the workspace root, which would create the root again while it is moved away.
        await using var api = await ApiTestServer.StartAsync();
        var job = await api.WaitForJobAsync(await api.UploadAsync("payments/a.csv", api.PaymentsFile(10)));
        await AgeAsync(api, job.Id);
        var root = api.Env.Settings.WorkspaceRoot;
        Directory.Move(root, root + ".unmounted");
        try
        {
            var (status, answer) = await HttpJson.SendAsync(api.Client("admin"), HttpMethod.Post, "api/v1/workspace/prune", """{"older_than": "1d"}""");
            Assert.Equal((HttpStatusCode.Conflict, "workspace.root_missing"), (status, HttpJson.ErrorCode(answer)));
        }
        finally
        {
            Directory.Move(root + ".unmounted", root);
        }
        Assert.Equal(0L, await api.Env.ScalarAsync<long>("select count(*) from sluice.jobs where workspace_pruned_at is not null"));
    }
}
