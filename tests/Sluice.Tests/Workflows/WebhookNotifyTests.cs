using System.Net;
using System.Text.Json;
using Sluice.Samples;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Workflows;

public sealed class WebhookNotifyTests
{
    [Fact]
    public async Task A_webhook_receives_the_job_succeeded_event_as_json()
    {
        using var listener = new HttpListener();
        var port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        listener.Start();
        var received = ListenOnceAsync(listener, HttpStatusCode.OK);

        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml($"notify: [ {{ webhook: \"http://127.0.0.1:{port}/hook/?token=secret\" }} ]"));
        env.StartHost();
        env.Drop("inbox", "payments/n.csv", PaymentsCsv.Header + "\n1,1,1,18071.13,EUR,2026-01-01 00:00:00,x,booked\n");

        var job = Assert.Single(await env.WaitForJobsAsync(1));
        var (body, eventId) = await received.WaitAsync(TimeSpan.FromSeconds(30));

        using var doc = JsonDocument.Parse(body);
        Assert.Equal("job.succeeded", doc.RootElement.GetProperty("type").GetString());
        Assert.Equal(job.Id.ToString(), doc.RootElement.GetProperty("job").GetProperty("id").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("job").GetProperty("counts").GetProperty("loaded").GetInt64());
        Assert.Equal($"{job.Id}:1:job.succeeded", eventId);
        var notify = job.Stages.Single(s => s.Name == "notify");
        Assert.Equal("succeeded", notify.Status);
        Assert.DoesNotContain("secret", notify.Outputs!.ToJsonString());
    }

    [Fact]
    public async Task An_unreachable_webhook_does_not_fail_the_job()
    {
        var port = FreePort(); // nothing listens there
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml($"notify: [ {{ webhook: \"http://127.0.0.1:{port}/nobody\" }} ]"));
        env.StartHost();
        env.Drop("inbox", "payments/u.csv", PaymentsCsv.Header + "\n1,1,1,1.00,EUR,2026-01-01 00:00:00,x,booked\n");

        var job = Assert.Single(await env.WaitForJobsAsync(1, TimeSpan.FromMinutes(2)));

        Assert.Equal("succeeded", job.Status);
        Assert.Equal(1L, await env.ScalarAsync<long>("select count(*) from public.payments"));
        var notify = job.Stages.Last(s => s.Name == "notify");
        Assert.Equal("failed", notify.Status);
        Assert.Equal("notify.undelivered", notify.Error!.Code);
    }

    [Fact]
    public async Task A_webhook_that_never_answers_holds_a_worker_for_one_try_at_a_time_and_the_jobs_behind_it_go_on()
    {
        using var listener = new HttpListener();
        var port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/hang/");
        listener.Start();
        var held = new List<HttpListenerContext>();   // requests taken and never answered
        var hanging = Task.Run(async () =>
        {
            try { while (true) held.Add(await listener.GetContextAsync()); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { }
        });

        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml($"notify: [ {{ webhook: \"http://127.0.0.1:{port}/hang/\" }} ]")
            .Replace("max_attempts: 3", "max_attempts: 2"));
        env.StartHost(workers: 1);
        env.Drop("inbox", "payments/first.csv", PaymentsCsv.Header + "\n1,1,1,1.00,EUR,2026-01-01 00:00:00,x,booked\n");
        await env.UntilAnyAsync("select count(*) from sluice.job_stages where name = 'notify'", TimeSpan.FromMinutes(1));
        env.Drop("inbox", "payments/second.csv", PaymentsCsv.Header + "\n2,1,1,2.00,EUR,2026-01-01 00:00:00,x,booked\n");

        var jobs = await env.WaitForJobsAsync(2, TimeSpan.FromMinutes(3));
        Assert.All(jobs, j => Assert.Equal("succeeded", j.Status));
        var first = jobs.Single(j => j.Source.Key == "payments/first.csv");
        var second = jobs.Single(j => j.Source.Key == "payments/second.csv");
        // The only worker was free for the second file while the first's webhook still had a try to go (it was held
        // through every retry of the first before).
        Assert.True(await env.ScalarAsync<bool>(
            "select (select finished_at from sluice.jobs where id = $2) < (select max(finished_at) from sluice.job_stages where job_id = $1 and name = 'notify')",
            first.Id, second.Id));
        var notify = first.Stages.Where(s => s.Name == "notify").ToList();
        Assert.Equal(["retrying", "failed"], notify.Select(s => s.Status));
        Assert.Equal("notify.undelivered", notify[^1].Error!.Code);
        listener.Stop();
        await hanging;
    }

    [Fact]
    public async Task A_replay_from_notify_sends_the_outcome_again_and_the_job_keeps_it()
    {
        using var listener = new HttpListener();
        var (env, job) = await NotifiedJobAsync(listener, "payments/r.csv");
        await using var _ = env;

        var second = ListenOnceAsync(listener, HttpStatusCode.OK);
        Assert.Equal(2, await new Sluice.Control.JobReplay(env.ControlPlane).ReplayAsync(job.Id, "notify", "hook was down", "test", CancellationToken.None));
        var (body, eventId) = await second.WaitAsync(TimeSpan.FromSeconds(30));
        await WaitForNoWorkAsync(env, job.Id);

        Assert.Equal($"{job.Id}:2:job.succeeded", eventId);
        Assert.Equal("job.succeeded", JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
        var after = (await env.ControlPlane.Jobs.GetViewAsync(job.Id, CancellationToken.None))!;
        Assert.Equal(("succeeded", 2, job.FinishedAt), (after.Status, after.Attempt, after.FinishedAt));
        Assert.Equal("succeeded", after.Stages.Last(s => s.Name == "notify").Status);
        // Nothing is left running: it can be replayed again at once.
        Assert.Equal(3, await new Sluice.Control.JobReplay(env.ControlPlane).ReplayAsync(job.Id, "notify", "again", "test", CancellationToken.None));
    }

    [Fact]
    public async Task A_job_whose_workspace_was_pruned_still_replays_from_notify_which_reads_no_files()
    {
        using var listener = new HttpListener();
        var (env, job) = await NotifiedJobAsync(listener, "payments/pruned.csv");
        await using var _ = env;
        await env.ExecuteAsync($"update sluice.jobs set finished_at = now() - interval '2 hours' where id = '{job.Id}'");
        await env.ExecuteAsync($"update sluice.tasks set updated_at = now() - interval '2 hours' where job_id = '{job.Id}'");
        var pruner = new Sluice.Storage.WorkspacePruner(env.ControlPlane.DataSource, env.Settings.WorkspaceRoot, env.Settings.Lease);
        Assert.Equal(1, (await pruner.PruneAsync(new(TimeSpan.FromHours(1)), CancellationToken.None)).Jobs);

        var second = ListenOnceAsync(listener, HttpStatusCode.OK);
        Assert.Equal(2, await new Sluice.Control.JobReplay(env.ControlPlane).ReplayAsync(job.Id, "notify", "hook was down", "test", CancellationToken.None));
        var (_, eventId) = await second.WaitAsync(TimeSpan.FromSeconds(30));
        await WaitForNoWorkAsync(env, job.Id);

        Assert.Equal($"{job.Id}:2:job.succeeded", eventId);
        Assert.Equal("succeeded", (await env.ControlPlane.Jobs.GetViewAsync(job.Id, CancellationToken.None))!.Stages.Last(s => s.Name == "notify").Status);
    }

    [Fact]
    public async Task A_replay_from_notify_of_a_pipeline_without_webhooks_is_refused_and_a_replay_from_publish_leaves_no_hidden_copies()
    {
        await using var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml());
        env.StartHost();
        env.Drop("inbox", "payments/p.csv", PaymentsCsv.Header + "\n1,1,1,2.50,EUR,2026-01-01 00:00:00,x,booked\n");
        var job = Assert.Single(await env.WaitForJobsAsync(1));
        var replay = new Sluice.Control.JobReplay(env.ControlPlane);

        var refused = await Assert.ThrowsAsync<Sluice.Errors.SluiceException>(() => replay.ReplayAsync(job.Id, "notify", null, "test", CancellationToken.None));
        Assert.Equal("replay.stage", refused.Code);
        Assert.Contains("no webhooks", refused.Message);

        await replay.ReplayAsync(job.Id, "publish", "publish again", "test", CancellationToken.None);
        var again = await env.WaitForJobAsync(job.Id);
        Assert.Equal(("succeeded", 2), (again.Status, again.Attempt));
        var hidden = Directory.GetFiles(env.Settings.BucketsRoot, ".sluice-put-*", SearchOption.AllDirectories);
        Assert.Empty(hidden);
        Assert.True(File.Exists(Path.Combine(env.Settings.BucketsRoot, "processed", "payments", job.Id.ToString(), "report.json")));
    }

    /// <summary>
    /// A one-row job of a pipeline whose webhook is <paramref name="listener"/> (started here, on a free port), once the
    /// listener has answered its notification and nothing of the job is left to run. The caller disposes the environment.
    /// </summary>
    private static async Task<(TestEnvironment Env, Sluice.Control.JobView Job)> NotifiedJobAsync(HttpListener listener, string key)
    {
        var port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        listener.Start();
        var first = ListenOnceAsync(listener, HttpStatusCode.OK);
        var env = await TestEnvironment.CreateAsync();
        env.WritePipeline("payments.yaml", PaymentsPipeline.Yaml($"notify: [ {{ webhook: \"http://127.0.0.1:{port}/hook/\" }} ]"));
        env.StartHost();
        env.Drop("inbox", key, PaymentsCsv.Header + "\n1,1,1,2.50,EUR,2026-01-01 00:00:00,x,booked\n");
        var job = Assert.Single(await env.WaitForJobsAsync(1));
        await first.WaitAsync(TimeSpan.FromSeconds(30));
        await WaitForNoWorkAsync(env, job.Id);
        return (env, job);
    }

    /// <summary>Waits until the job has no task ready or running (its notify committed).</summary>
    private static Task WaitForNoWorkAsync(TestEnvironment env, Guid job) => TestEnvironment.UntilAsync(
        async () => await env.ScalarAsync<long>("select count(*) from sluice.tasks where job_id = $1 and status in ('ready', 'running')", job) == 0,
        TimeSpan.FromSeconds(30), "the job's tasks to end");

    private static async Task<(string Body, string? EventId)> ListenOnceAsync(HttpListener listener, HttpStatusCode status)
    {
        var ctx = await listener.GetContextAsync();
        using var reader = new StreamReader(ctx.Request.InputStream);
        var body = await reader.ReadToEndAsync();
        var id = ctx.Request.Headers["Sluice-Event-Id"];
        ctx.Response.StatusCode = (int)status;
        ctx.Response.Close();
        return (body, id);
    }

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
