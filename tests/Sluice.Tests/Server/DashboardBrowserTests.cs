using Microsoft.Playwright;
using Sluice.Samples;

namespace Sluice.Tests.Server;

/// <summary>The dashboard in a real headless Chromium (Debian's, driven by Playwright; nothing is downloaded).</summary>
public sealed class DashboardBrowserTests
{
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private static readonly LocatorAssertionsToHaveTextOptions Long = new() { Timeout = 90_000 };

    [Fact]
    public async Task An_operator_uploads_a_file_watches_its_job_succeed_live_replays_it_and_sees_the_new_attempt()
    {
        await using var api = await ApiTestServer.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ChromiumArgs });
        var page = await browser.NewPageAsync();
        var consoleErrors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") consoleErrors.Add(m.Text); };
        page.PageError += (_, e) => consoleErrors.Add(e);

        // Sign in through the fragment: the key is kept in session storage and leaves the address bar.
        await page.GotoAsync(api.Server.Address + "#key=" + api.Keys["operator"]);
        await Assertions.Expect(page.Locator("#whoami")).ToHaveTextAsync("operator-key · operator");
        Assert.DoesNotContain("key=", page.Url);
        Assert.Equal(api.Keys["operator"], await page.EvaluateAsync<string>("sessionStorage.getItem('sluice.key')"));
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live");

        // A key with markup in it must show as text.
        var csv = Path.Combine(api.Env.Home, "dashboard.csv");
        PaymentsCsv.Write(csv, 200, seed: 11);
        const string key = "payments/<img src=x onerror=alert(1)> & <b>bold.csv";
        await page.Locator("#upload-file").SetInputFilesAsync(new FilePayload { Name = "dashboard.csv", MimeType = "text/csv", Buffer = await File.ReadAllBytesAsync(csv) });
        await page.Locator("#upload-key").FillAsync(key);
        await page.Locator("#upload-button").ClickAsync();
        await Assertions.Expect(page.Locator("#flash")).ToContainTextAsync("started");
        var row = page.Locator("#jobs-body tr").Filter(new() { HasText = key });
        await Assertions.Expect(row.Locator(".status")).ToHaveTextAsync("succeeded", Long);
        Assert.Equal(0, await page.Locator("#jobs-body b, #jobs-body img").CountAsync());
        await Assertions.Expect(page.Locator("#kpi-loaded .value")).ToHaveTextAsync("200", Long);

        // The job page: stages, counts, then a replay from load that shows up as attempt 2.
        await row.ClickAsync();
        await Assertions.Expect(page.Locator("#job-status")).ToHaveTextAsync("succeeded");
        await Assertions.Expect(page.Locator("#job-source")).ToHaveTextAsync("inbox/" + key);
        await Assertions.Expect(page.Locator("#counts .reconciled")).ToContainTextAsync("yes");
        await Assertions.Expect(page.Locator("#timeline .bar")).ToHaveCountAsync(5);
        await page.Locator("#replay-from").SelectOptionAsync("load");
        await page.Locator("#replay-reason").FillAsync("replayed from the browser test");
        await page.Locator("#replay-button").ClickAsync();
        await Assertions.Expect(page.Locator("#attempts tr[data-attempt='2']")).ToContainTextAsync("replayed from the browser test");
        await Assertions.Expect(page.Locator("#job-attempt")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("#job-status")).ToHaveTextAsync("succeeded", Long);
        await Assertions.Expect(page.Locator("#timeline .attempt")).ToHaveCountAsync(2, new() { Timeout = 90_000 });

        var folder = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(folder);
        var shot = Path.Combine(folder, "dashboard-job-replayed.png");
        await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 10_000);

        var job = Assert.Single(await api.Env.ControlPlane.Jobs.ListAsync(null, null, 10, CancellationToken.None));
        var ended = await api.WaitForJobAsync(job.Id);
        Assert.Equal(("succeeded", 2, "api:operator-key"), (ended.Status, ended.Attempt, ended.Attempts[1].RequestedBy));
        Assert.Empty(consoleErrors);
    }

    [Fact]
    public async Task A_viewer_signs_in_with_the_form_sees_no_upload_or_replay_and_is_signed_out_when_the_key_is_revoked()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ChromiumArgs });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(api.Server.Address.ToString());
        await Assertions.Expect(page.Locator("#signin")).ToBeVisibleAsync();
        await page.Locator("#signin-key").FillAsync("sluice_wrong");
        await page.Locator("#signin-form button").ClickAsync();
        await Assertions.Expect(page.Locator("#signin-error")).ToContainTextAsync("not accepted");

        await page.Locator("#signin-key").FillAsync(api.Keys["viewer"]);
        await page.Locator("#signin-form button").ClickAsync();
        await Assertions.Expect(page.Locator("#whoami")).ToHaveTextAsync("viewer-key · viewer");
        await Assertions.Expect(page.Locator("#jobs")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("#upload-form").CountAsync());
        await Assertions.Expect(page.Locator("#nav-admin")).ToBeHiddenAsync();

        await page.Locator("#nav a[data-view='pipelines']").ClickAsync();
        await page.Locator("#pipelines tbody tr").First.ClickAsync();
        await Assertions.Expect(page.Locator("#pipeline-detail")).ToContainTextAsync("public.payments");

        await new Sluice.Control.ApiKeys(api.Env.ControlPlane.DataSource).RevokeAsync("viewer-key", "test", CancellationToken.None);
        await page.Locator("#nav a[data-view='jobs']").ClickAsync();
        await Assertions.Expect(page.Locator("#signin")).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('sluice.key')"));
    }

    [Fact]
    public async Task An_admin_previews_then_removes_old_workspaces_and_sees_it_in_the_audit_log()
    {
        await using var api = await ApiTestServer.StartAsync();
        var job = await api.WaitForJobAsync(await api.UploadAsync("payments/old.csv", api.PaymentsFile(20)));
        await api.Env.ExecuteAsync($"update sluice.jobs set finished_at = now() - interval '10 days' where id = '{job.Id}'");
        await api.Env.ExecuteAsync($"update sluice.tasks set updated_at = now() - interval '10 days' where job_id = '{job.Id}'");
        var folder = Path.Combine(api.Env.Settings.WorkspaceRoot, job.Id.ToString());
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ChromiumArgs });
        var page = await browser.NewPageAsync();
        var dialogs = new List<string>();
        var accept = false;
        page.Dialog += async (_, d) => { dialogs.Add(d.Message); if (accept) await d.AcceptAsync(); else await d.DismissAsync(); };
        await page.GotoAsync(api.Server.Address + "#key=" + api.Keys["admin"]);
        await page.Locator("#nav a[data-view='admin']").ClickAsync();

        // Dismissed: the preview is said, nothing is removed.
        await page.Locator("#workspace-prune button").ClickAsync();
        await Assertions.Expect(page.Locator("#retention-result")).ToContainTextAsync("Would remove the workspaces of 1 job(s)");
        Assert.Contains("Those jobs then replay only from download", Assert.Single(dialogs));
        Assert.True(Directory.Exists(folder));

        accept = true;
        await page.Locator("#workspace-prune button").ClickAsync();
        await Assertions.Expect(page.Locator("#flash")).ToContainTextAsync("Removed the workspaces of 1 job(s)");
        Assert.False(Directory.Exists(folder));
        await Assertions.Expect(page.Locator("#audit tbody tr").First).ToContainTextAsync("POST /api/v1/workspace/prune");

        await page.Locator("#workspace-older-than").FillAsync("a week");
        await page.Locator("#workspace-prune button").ClickAsync();
        await Assertions.Expect(page.Locator("#flash")).ToContainTextAsync("is not a period");
    }
}
