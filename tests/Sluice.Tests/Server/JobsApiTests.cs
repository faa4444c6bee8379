using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Samples;
using Sluice.Tests.Workflows;

namespace Sluice.Tests.Server;

public sealed class JobsApiTests
{
    [Fact]
    public async Task An_uploaded_file_becomes_a_job_that_succeeds_and_reads_as_the_same_json_as_the_cli()
    {
        await using var api = await ApiTestServer.StartAsync();
        var content = api.PaymentsFile(300);
        using var response = await api.Client("operator").PutAsync("api/v1/buckets/inbox/objects/payments/2026-11-29.csv",
            new StringContent(content, Encoding.UTF8, "text/csv"));
        var upload = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = Guid.Parse((string)upload["jobs"]![0]!["id"]!);
        Assert.Equal($"/api/v1/jobs/{id}", response.Headers.Location!.ToString());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(content))), (string)upload["sha256"]!);

        var ended = await api.WaitForJobAsync(id);
        Assert.Equal("succeeded", ended.Status);
        Assert.Equal(300L, ended.Counts.Loaded);
        Assert.Equal("api:operator-key", ended.Attempts[0].RequestedBy);
        Assert.Equal(300L, await api.Env.ScalarAsync<long>("select count(*) from public.payments"));
        // The body went into the job's workspace as it arrived: the download stage did not read the object again.
        Assert.True(ended.Stages.Single(s => s.Name == "download").Outputs!["copied_on_arrival"]!.GetValue<bool>());

        var viewer = api.Client("viewer");
        var fromApi = await HttpJson.GetAsync(viewer, $"api/v1/jobs/{id}");
        var fromCli = JsonNode.Parse(JsonSerializer.Serialize(await api.Env.ControlPlane.Jobs.GetViewAsync(id, CancellationToken.None)));
        Assert.True(JsonNode.DeepEquals(fromCli, fromApi), $"{fromCli}\n!=\n{fromApi}");
        Assert.Equal(id.ToString(), (string)(await HttpJson.GetAsync(viewer, $"api/v1/jobs/{id.ToString()[..13]}"))["id"]!);
        // Log lines are stored in the background, a moment after they are written (a job of 300 rows can end first).
        await api.Host.FlushLogsAsync(TimeSpan.FromSeconds(10));
        Assert.Contains((await HttpJson.GetAsync(viewer, $"api/v1/jobs/{id}/logs"))["lines"]!.AsArray(),
            l => ((string)l!["message"]!).Contains("received inbox/payments/2026-11-29.csv"));
        using var rejects = await viewer.GetAsync($"api/v1/jobs/{id}/rejects");
        Assert.Equal(HttpStatusCode.OK, rejects.StatusCode);
        Assert.Equal("text/csv", rejects.Content.Headers.ContentType!.MediaType);

        // The same content again is the same job, not a new one.
        using var again = await api.Client("operator").PutAsync("api/v1/buckets/inbox/objects/payments/2026-11-29.csv", new StringContent(content));
        var second = JsonNode.Parse(await again.Content.ReadAsStringAsync())!;
        Assert.Equal((HttpStatusCode.OK, id.ToString(), false), (again.StatusCode, (string)second["jobs"]![0]!["id"]!, (bool)second["jobs"]![0]!["created"]!));
        Assert.Equal(1L, await api.Env.ScalarAsync<long>("select count(*) from sluice.jobs"));
        // The second upload's copy was made for a job that was not created, and removed.
        Assert.Single(Directory.GetDirectories(api.Env.Settings.WorkspaceRoot));
    }

    [Fact]
    public async Task A_large_upload_is_copied_into_its_job_and_planned_in_chunks_as_it_arrives()
    {
        await using var api = await ApiTestServer.StartAsync(pipelineYaml: PaymentsPipeline.Yaml("chunk: { rows: 5000 }"));
        var content = api.PaymentsFile(20_000, seed: 9);

        var job = await api.WaitForJobAsync(await api.UploadAsync("payments/large.csv", content));

        // Planned in chunks from the upload's bytes as they arrived, and loaded from that copy.
        await Trigger.ReceivedCopyTests.AssertCopiedOnArrivalAndLoadedInChunksAsync(api.Env, job);
        Assert.Equal(Encoding.UTF8.GetByteCount(content), job.Stages.Single(s => s.Name == "download").Outputs!["file"]!["size"]!.GetValue<long>());
        Assert.Equal(20_000L, await api.Env.ScalarAsync<long>("select count(distinct transaction_id) from public.payments"));
    }

    [Fact]
    public async Task Uploads_refuse_keys_that_could_leave_the_bucket_bodies_over_the_limit_and_keys_no_pipeline_takes()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0, maxUploadBytes: 1000);
        var bucket = Path.Combine(api.Env.Settings.BucketsRoot, "inbox");
        foreach (var raw in new[] { "payments/%2E%2E/%2E%2E/escape.csv", "payments/..%2F..%2Fescape.csv", "payments/a%00.csv", "payments/a%0A.csv",
                     "payments%5C..%5Cescape.csv", "%2Fetc%2Fescape.csv", "payments//escape.csv" })
        {
            var (status, body) = await RawPutAsync(api, $"/api/v1/buckets/inbox/objects/{raw}", "x");
            Assert.True(status is 400 or 404, $"{raw}: {status} {body}");
            // Kestrel itself refuses a NUL in the request target, before any handler (and so without a JSON body).
            Assert.True(raw.Contains("%00") || body.Contains("\"error\""), $"{raw}: {status} {body}");
        }
        // A file name too long for the temporary name it is first written under.
        foreach (var longName in new[] { new string('a', 250), string.Concat(Enumerable.Repeat("%C3%A9", 200)) })
        {
            var (status, body) = await RawPutAsync(api, $"/api/v1/buckets/inbox/objects/payments/{longName}.csv", "x");
            Assert.Equal(400, status);
            Assert.Contains("\"code\":\"key.invalid\"", body);
            Assert.Contains($"longer than {Sluice.Storage.ObjectKey.MaxSegmentBytes} bytes", body);
        }
        var (badBucket, _) = await RawPutAsync(api, "/api/v1/buckets/..%2Fworkspace/objects/payments/a.csv", "x");
        Assert.True(badBucket is 400 or 404);
        Assert.Empty(Directory.EnumerateFiles(api.Env.Home, "escape*", SearchOption.AllDirectories));

        var operatorClient = api.Client("operator");
        var (tooLarge, error) = await HttpJson.SendAsync(operatorClient, HttpMethod.Put, "api/v1/buckets/inbox/objects/payments/big.csv", new string('x', 5000));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "upload.too_large"), (tooLarge, HttpJson.ErrorCode(error)));
        // A body without a length is stopped by the same limit, with the same answer.
        using (var chunked = new HttpRequestMessage(HttpMethod.Put, "api/v1/buckets/inbox/objects/payments/big.csv") { Content = new StringContent(new string('x', 5000)) })
        {
            chunked.Headers.TransferEncodingChunked = true;
            using var answer = await operatorClient.SendAsync(chunked);
            var text = await answer.Content.ReadAsStringAsync();
            Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "upload.too_large"), (answer.StatusCode, HttpJson.ErrorCode(JsonNode.Parse(text))));
            Assert.Contains("1,000 bytes", text);
        }
        // A key that is a folder in the bucket.
        Directory.CreateDirectory(Path.Combine(bucket, "payments", "folder.csv"));
        var (folder, folderError) = await HttpJson.SendAsync(operatorClient, HttpMethod.Put, "api/v1/buckets/inbox/objects/payments/folder.csv", "x");
        Assert.Equal((HttpStatusCode.Conflict, "key.conflict"), (folder, HttpJson.ErrorCode(folderError)));
        var (unmatched, why) = await HttpJson.SendAsync(operatorClient, HttpMethod.Put, "api/v1/buckets/inbox/objects/other/a.csv", "x");
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "route.no_pipeline"), (unmatched, HttpJson.ErrorCode(why)));
        Assert.False(Directory.Exists(bucket) && Directory.EnumerateFiles(bucket, "*", SearchOption.AllDirectories).Any());
        // Nor a copy for a job in the workspace.
        var workspace = api.Env.Settings.WorkspaceRoot;
        Assert.False(Directory.Exists(workspace) && Directory.EnumerateFileSystemEntries(workspace).Any());
    }

    [Fact]
    public async Task Replay_through_the_api_runs_a_new_attempt_and_bulk_replay_takes_every_failed_job()
    {
        await using var api = await ApiTestServer.StartAsync();
        var good = await api.UploadAsync("payments/good.csv", api.PaymentsFile(50));
        var bad = await api.UploadAsync("payments/bad.csv", PaymentsCsv.Header + "\nnot-a-number,1,1,1.00,EUR,2026-01-01 00:00:00,x,booked\n");
        Assert.Equal("succeeded", (await api.WaitForJobAsync(good)).Status);
        Assert.Equal("failed", (await api.WaitForJobAsync(bad)).Status);

        var client = api.Client("operator");
        var (status, replayed) = await HttpJson.SendAsync(client, HttpMethod.Post, $"api/v1/jobs/{good}/replay", """{"from": "load", "reason": "table restored"}""");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal((2, "load"), ((int)replayed!["attempt"]!, (string)replayed["from"]!));
        var after = await api.WaitForJobAsync(good);
        Assert.Equal(("succeeded", 2), (after.Status, after.Attempt));
        Assert.Equal(("load", "table restored", "api:operator-key"), (after.Attempts[1].FromStage, after.Attempts[1].Reason, after.Attempts[1].RequestedBy));
        Assert.Equal(50L, await api.Env.ScalarAsync<long>("select count(*) from public.payments"));

        var (noStage, usage) = await HttpJson.SendAsync(client, HttpMethod.Post, $"api/v1/jobs/{good}/replay", "{}");
        Assert.Equal((HttpStatusCode.BadRequest, "replay.usage"), (noStage, HttpJson.ErrorCode(usage)));
        Assert.Contains("(one of download, transform, load, publish, notify)", (string?)usage?["error"]?["message"]);
        var (badStage, stageError) = await HttpJson.SendAsync(client, HttpMethod.Post, $"api/v1/jobs/{good}/replay", """{"from": "receive"}""");
        Assert.Equal((HttpStatusCode.BadRequest, "replay.stage"), (badStage, HttpJson.ErrorCode(stageError)));
        var (badJson, jsonError) = await HttpJson.SendAsync(client, HttpMethod.Post, $"api/v1/jobs/{good}/replay", "{from:");
        Assert.Equal((HttpStatusCode.BadRequest, "request.json"), (badJson, HttpJson.ErrorCode(jsonError)));

        var (bulkStatus, bulk) = await HttpJson.SendAsync(client, HttpMethod.Post, "api/v1/jobs/replay-failed", """{"pipeline": "payments", "reason": "after the fix"}""");
        Assert.Equal(HttpStatusCode.Accepted, bulkStatus);
        var only = Assert.Single(bulk!["replayed"]!.AsArray())!;
        Assert.Equal((bad.ToString(), 2, "transform"), ((string)only["job_id"]!, (int)only["attempt"]!, (string)only["from"]!));
        var badAfter = await api.WaitForJobAsync(bad);
        Assert.Equal(("failed", 2, "after the fix"), (badAfter.Status, badAfter.Attempt, badAfter.Attempts[1].Reason));
    }

    [Fact]
    public async Task Jobs_are_listed_newest_first_filtered_and_paged()
    {
        await using var api = await ApiTestServer.StartAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++) ids.Add(await api.UploadAsync($"payments/p{i}.csv", api.PaymentsFile(5, seed: i)));
        foreach (var id in ids) await api.WaitForJobAsync(id);
        var viewer = api.Client("viewer");

        var first = await HttpJson.GetAsync(viewer, "api/v1/jobs?limit=2&status=succeeded&pipeline=payments");
        var second = await HttpJson.GetAsync(viewer, $"api/v1/jobs?limit=2&status=succeeded&pipeline=payments&cursor={(string)first["next"]!}");
        var listed = first["jobs"]!.AsArray().Concat(second["jobs"]!.AsArray()).Select(j => Guid.Parse((string)j!["id"]!)).ToList();
        Assert.Equal(Enumerable.Reverse(ids), listed);
        Assert.Null(second["next"]);
        Assert.Empty((await HttpJson.GetAsync(viewer, "api/v1/jobs?status=failed"))["jobs"]!.AsArray());
        Assert.Empty((await HttpJson.GetAsync(viewer, $"api/v1/jobs?since={DateTime.UtcNow.AddHours(1):O}"))["jobs"]!.AsArray());
        var (status, error) = await HttpJson.SendAsync(viewer, HttpMethod.Get, "api/v1/jobs?status=lost");
        Assert.Equal((HttpStatusCode.BadRequest, "jobs.status"), (status, HttpJson.ErrorCode(error)));
        var (missing, notFound) = await HttpJson.SendAsync(viewer, HttpMethod.Get, $"api/v1/jobs/{Guid.NewGuid()}");
        Assert.Equal((HttpStatusCode.NotFound, "job.not_found"), (missing, HttpJson.ErrorCode(notFound)));
        var (route, noRoute) = await HttpJson.SendAsync(viewer, HttpMethod.Get, "api/v1/nothing-here");
        Assert.Equal((HttpStatusCode.NotFound, "not_found"), (route, HttpJson.ErrorCode(noRoute)));

        var stats = await HttpJson.GetAsync(viewer, $"api/v1/stats?since={DateTime.UtcNow.AddHours(-1):O}&minutes=5");
        Assert.Equal((3, 15), ((int)stats["jobs"]!["succeeded"]!, (int)stats["rows"]!["loaded"]!));
        Assert.Equal(5, stats["throughput"]!.AsArray().Count);
        Assert.Equal(3, stats["throughput"]!.AsArray().Sum(p => (int)p!["jobs"]!));
    }

    [Fact]
    public async Task Pipelines_are_listed_shown_without_credentials_and_validated_without_being_saved()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0);
        var viewer = api.Client("viewer");
        var listed = await HttpJson.GetAsync(viewer, "api/v1/pipelines");
        Assert.Equal("payments", (string)listed["pipelines"]![0]!["name"]!);
        var shown = await HttpJson.GetAsync(viewer, "api/v1/pipelines/payments");
        Assert.Equal(("inbox", "public.payments"), ((string)shown["on"]!["bucket"]!, (string)shown["target"]!["table"]!));
        Assert.Equal("""{"enabled":true,"rows":1000000,"bytes":134217728,"keyed_loads":"side_by_side","spread":true}""", shown["chunk"]!.ToJsonString());
        Assert.Null(shown["convert"]);

        var yaml = Workflows.PaymentsPipeline.Yaml(extra: "notify:\n  - webhook: https://user:secret@hooks.example.com/x?token=hunter2")
            .Replace("name: payments", "name: draft").Replace("public.payments", "public.other");
        var (status, valid) = await HttpJson.SendAsync(viewer, HttpMethod.Post, "api/v1/pipelines/validate", yaml);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True((bool)valid!["valid"]!, valid.ToJsonString());
        Assert.DoesNotContain("hunter2", valid.ToJsonString());
        Assert.DoesNotContain("secret", valid.ToJsonString());
        Assert.False(File.Exists(Path.Combine(api.Env.Settings.PipelinesDirectory, "draft.yaml")));

        var (_, invalid) = await HttpJson.SendAsync(viewer, HttpMethod.Post, "api/v1/pipelines/validate", "name: Bad Name\non: {bucket: inbox}\nworkflow: sideways\n");
        Assert.False((bool)invalid!["valid"]!);
        Assert.Contains(invalid["errors"]!.AsArray(), e => (string)e!["key"]! == "workflow" && (int)e["line"]! == 3);

        // Hostile nesting is refused at the first level too deep, before the YAML is turned into a tree.
        var deep = "name: x\nschema: " + new string('[', 20_000) + new string(']', 20_000) + "\n";
        var (deepStatus, tooDeep) = await HttpJson.SendAsync(viewer, HttpMethod.Post, "api/v1/pipelines/validate", deep);
        Assert.Equal((HttpStatusCode.OK, false), (deepStatus, (bool)tooDeep!["valid"]!));
        var nesting = Assert.Single(tooDeep["errors"]!.AsArray())!;
        Assert.Equal(2, (int)nesting["line"]!);
        Assert.Contains("nesting is deeper than", (string)nesting["message"]!);
        Assert.Equal((HttpStatusCode.NotFound, "pipeline.not_found"),
            await HttpJson.SendAsync(viewer, HttpMethod.Get, "api/v1/pipelines/nope") is var (s, b) ? (s, HttpJson.ErrorCode(b)) : default);
    }

    /// <summary>A PUT with the request target exactly as given: HttpClient would normalize dot segments and escapes.</summary>
    private static async Task<(int Status, string Body)> RawPutAsync(ApiTestServer api, string target, string body)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(api.Server.Address.Host, api.Server.Address.Port);
        await using var stream = tcp.GetStream();
        var request = $"PUT {target} HTTP/1.1\r\nHost: {api.Server.Address.Authority}\r\nAuthorization: Bearer {api.Keys["operator"]}\r\n" +
                      $"Content-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream);
        var text = await reader.ReadToEndAsync();
        return (int.Parse(text.Split(' ')[1]), text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    [Fact]
    public async Task A_job_id_prefix_several_jobs_share_is_a_conflict_saying_how_many_match()
    {
        await using var api = await ApiTestServer.StartAsync(workers: 0);
        var first = (await api.UploadAsync("payments/a.csv", api.PaymentsFile(5, seed: 1))).ToString();
        var second = (await api.UploadAsync("payments/b.csv", api.PaymentsFile(5, seed: 2))).ToString();
        // Job ids start with their creation time, so two jobs made a moment apart share their first characters.
        var shared = new string(first.Zip(second).TakeWhile(p => p.First == p.Second).Select(p => p.First).ToArray());
        Assert.True(shared.Length >= 4, $"{first} and {second} share too little to test with");

        var (status, body) = await HttpJson.SendAsync(api.Client("viewer"), HttpMethod.Get, $"api/v1/jobs/{shared}");

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("job.ambiguous", HttpJson.ErrorCode(body));
        Assert.Contains("2 job ids", (string)body!["error"]!["message"]!);
    }
}
