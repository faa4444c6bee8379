using System.Text.Json.Nodes;

namespace Sluice.Tests.Server;

public sealed class EventStreamTests
{
    [Fact]
    public async Task A_subscriber_that_reconnects_with_last_event_id_receives_exactly_the_events_it_missed_in_order()
    {
        await using var api = await ApiTestServer.StartAsync();
        var viewer = api.Client("viewer");
        var received = new List<SseReader.Event>();
        Guid job;
        await using (var first = await SseReader.OpenAsync(viewer, "api/v1/events"))
        {
            job = await api.UploadAsync("payments/live.csv", api.PaymentsFile(100));
            for (var i = 0; i < 3; i++) received.Add(await first.NextAsync());
        }
        Assert.Equal(["job.created", "stage.succeeded"], received.Take(2).Select(e => e.Type));
        var created = JsonNode.Parse(received[0].Data)!;
        Assert.Equal((job.ToString(), "payments"), ((string)created["job_id"]!, (string)created["payload"]!["pipeline"]!));

        // Disconnected while the job runs on; every event it writes meanwhile must arrive on resuming.
        await api.WaitForJobAsync(job);
        var missed = await OutboxAfterAsync(api, received[^1].Id);
        Assert.Contains(missed, e => e.Type == "job.succeeded");
        await using (var resumed = await SseReader.OpenAsync(viewer, "api/v1/events", lastEventId: received[^1].Id))
        {
            var replayed = new List<SseReader.Event>();
            foreach (var _ in missed) replayed.Add(await resumed.NextAsync());
            Assert.Equal(missed, replayed.Select(e => (e.Id, e.Type)).ToList());
        }
        Assert.Equal(await OutboxAfterAsync(api, 0, limit: 3), received.Select(e => (e.Id, e.Type)).ToList());
    }

    [Fact]
    public async Task A_stream_opened_with_a_key_that_is_then_revoked_says_so_and_ends()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0);
        await using var stream = await SseReader.OpenAsync(api.Client("viewer"), "api/v1/events");

        await new Sluice.Control.ApiKeys(api.Env.ControlPlane.DataSource).RevokeAsync("viewer-key", "test", CancellationToken.None);
        var revoked = await stream.NextAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("revoked", revoked.Type);
        Assert.Equal("auth.revoked", (string)JsonNode.Parse(revoked.Data)!["error"]!["code"]!);
        await Assert.ThrowsAsync<EndOfStreamException>(() => stream.NextAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_stream_filtered_to_one_job_carries_only_that_jobs_events_up_to_its_end()
    {
        await using var api = await ApiTestServer.StartAsync();
        var one = await api.UploadAsync("payments/one.csv", api.PaymentsFile(10, seed: 1));
        var two = await api.UploadAsync("payments/two.csv", api.PaymentsFile(10, seed: 2));
        await using var stream = await SseReader.OpenAsync(api.Client("viewer"), $"api/v1/events?after=0&job={two}");
        SseReader.Event e;
        do
        {
            e = await stream.NextAsync();
            Assert.Equal(two.ToString(), (string)JsonNode.Parse(e.Data)!["job_id"]!);
        } while (e.Type != "job.succeeded");
        await api.WaitForJobAsync(one);
    }

    [Fact]
    public async Task A_last_event_id_beyond_any_event_this_database_issued_is_refused_rather_than_waited_on()
    {
        await using var api = await ApiTestServer.StartAsync();
        await api.WaitForJobAsync(await api.UploadAsync("payments/one.csv", api.PaymentsFile(10)));
        var newest = (await OutboxAfterAsync(api, 0))[^1].Id;
        var viewer = api.Client("viewer");

        var (status, error) = await HttpJson.SendAsync(viewer, HttpMethod.Get, $"api/v1/events?after={newest + 1000}");
        Assert.Equal((System.Net.HttpStatusCode.BadRequest, "events.last_id"), (status, HttpJson.ErrorCode(error)));
        Assert.Contains($"newest event ({newest})", (string)error!["error"]!["message"]!);

        // Ids removed by history retention were still issued here: resuming from one goes on.
        await api.Env.ExecuteAsync("delete from sluice.events");
        await using var resumed = await SseReader.OpenAsync(viewer, "api/v1/events", lastEventId: newest);
    }

    private static async Task<List<(long Id, string Type)>> OutboxAfterAsync(ApiTestServer api, long after, int limit = 10_000)
    {
        await using var cmd = api.Env.ControlPlane.DataSource.CreateCommand("select id, type from sluice.events where id > $1 order by id limit $2");
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = after });
        cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = limit });
        var list = new List<(long, string)>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) list.Add((r.GetInt64(0), r.GetString(1)));
        return list;
    }
}
