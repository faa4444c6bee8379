using Sluice.Samples;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Server;

/// <summary>
/// An upload and the folder trigger of the same serving process: the upload records its job itself, so the trigger
/// passes over the object it put there rather than copying and hashing all of it again only to find that job.
/// </summary>
public sealed class UploadWatcherTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_folder_watcher_of_the_serving_process_does_not_read_an_uploaded_object_again()
    {
        var log = new LogLines();
        await using var api = await ApiTestServer.StartAsync(log: log);
        var uploaded = await api.WaitForJobAsync(await api.UploadAsync("payments/uploaded.csv", api.PaymentsFile(50)));
        // The watcher forgets the upload once it has passed over its object (it looks at it within its settle interval).
        await TestEnvironment.UntilAsync(() => Task.FromResult(api.Host.Uploads.Count == 0), Deadline,
            "the folder watcher to pass over the uploaded object");
        // And it went on past it: a file dropped by hand after the upload is taken.
        api.Env.DropPayments("payments/dropped.csv", 20, seed: 3);
        var jobs = await api.Env.WaitForJobsAsync(2);

        Assert.Equal(["payments/dropped.csv", "payments/uploaded.csv"], jobs.Select(j => j.Source.Key).Order());
        Assert.Equal("succeeded", uploaded.Status);
        // Read once, as it arrived: no second copy into a fresh workspace that found the job there already.
        Assert.Empty(log.Containing("arrived again"));
        Assert.Single(log.Containing("received inbox/payments/uploaded.csv"));
        Assert.Equal([uploaded.Id.ToString(), jobs.Single(j => j.Source.Key == "payments/dropped.csv").Id.ToString()],
            Directory.GetDirectories(api.Env.Settings.WorkspaceRoot).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task A_different_file_later_put_by_hand_under_an_uploaded_key_is_taken()
    {
        await using var api = await ApiTestServer.StartAsync();
        var uploaded = await api.WaitForJobAsync(await api.UploadAsync("payments/a.csv", api.PaymentsFile(30, seed: 1)));
        await TestEnvironment.UntilAsync(() => Task.FromResult(api.Host.Uploads.Count == 0), Deadline,
            "the folder watcher to pass over the uploaded object");

        // Copied in by hand over the uploaded object: other content, other size and time.
        var temp = Path.Combine(api.Env.Home, "by-hand.csv");
        PaymentsCsv.Write(temp, 40, seed: 2);
        File.Move(temp, Path.Combine(api.Env.Settings.BucketsRoot, "inbox", "payments", "a.csv"), overwrite: true);
        var jobs = await api.Env.WaitForJobsAsync(2);

        var byHand = jobs.Single(j => j.Id != uploaded.Id);
        Assert.Equal(("payments/a.csv", "trigger:folder", "succeeded"), (byHand.Source.Key, byHand.Attempts[0].RequestedBy, byHand.Status));
        Assert.NotEqual(uploaded.Source.Sha256, byHand.Source.Sha256);
        Assert.Equal(40L, byHand.Counts.Loaded);
    }

    [Fact]
    public async Task An_object_uploaded_to_another_serving_process_is_read_by_this_ones_watcher_and_found_to_be_its_job()
    {
        await using var api = await ApiTestServer.StartAsync();
        // A second serving process on the same buckets and control plane, that knows nothing of the first one's uploads.
        var otherLog = new LogLines();
        api.Env.StartHost(workers: 0, watch: true, log: otherLog);

        var job = await api.WaitForJobAsync(await api.UploadAsync("payments/a.csv", api.PaymentsFile(30)));
        // Its watcher reads the object the usual way and finds the job by content ("arrived again"); had it been first,
        // it would have recorded the job ("received") and the upload found it.
        await TestEnvironment.UntilAsync(() => Task.FromResult(otherLog.Containing("inbox/payments/a.csv").Count > 0), Deadline,
            "the other process's watcher to read the uploaded object");

        Assert.Equal(1L, await api.Env.ScalarAsync<long>("select count(*) from sluice.jobs"));
        Assert.Equal("succeeded", job.Status);
    }
}
