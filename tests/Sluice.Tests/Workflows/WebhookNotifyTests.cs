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
        var notify = job.Stages.Single(s => s.Name == "notify");
        Assert.Equal("failed", notify.Status);
        Assert.Equal("notify.undelivered", notify.Error!.Code);
    }

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
