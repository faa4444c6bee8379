using System.Collections.Concurrent;
using Sluice.Observability;
using Sluice.Storage;
using Sluice.Trigger;

namespace Sluice.Tests.Trigger;

public sealed class FolderWatcherTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sluice-watch-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly ConcurrentQueue<FolderWatcher.FoundFile> _arrivals = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private FolderWatcher Watcher(TimeSpan settle, RecordedUploads? uploads = null) => new(new FolderBuckets(_root), ["inbox"], settle,
        (a, _) => { _arrivals.Enqueue(a); _arrived.Release(); return Task.FromResult(true); }, new JobLog(null, LogLevel.Error, false, TextWriter.Null),
        uploads);

    [Fact]
    public async Task A_file_still_open_for_writing_is_not_picked_up_until_it_is_closed()
    {
        Directory.CreateDirectory(Path.Combine(_root, "inbox"));
        var path = Path.Combine(_root, "inbox", "big.csv");
        await using var watcher = Watcher(TimeSpan.Zero);
        var writer = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        await writer.WriteAsync("a,b\n1,2\n"u8.ToArray());
        await writer.FlushAsync();

        // Size and time are stable and the settle interval is zero: only the open writer keeps the file back.
        for (var i = 0; i < 3; i++) await watcher.ScanOnceAsync(CancellationToken.None);
        Assert.Empty(_arrivals);

        await writer.WriteAsync("3,4\n"u8.ToArray());
        await writer.DisposeAsync();
        for (var i = 0; i < 3 && _arrivals.IsEmpty; i++) await watcher.ScanOnceAsync(CancellationToken.None);

        var arrival = Assert.Single(_arrivals);
        Assert.Equal("big.csv", arrival.Key);
        Assert.Equal(12, arrival.Size);
        Assert.Equal(path, arrival.Path);
    }

    [Fact]
    public async Task A_growing_file_waits_for_the_settle_interval()
    {
        Directory.CreateDirectory(Path.Combine(_root, "inbox", "sub"));
        var path = Path.Combine(_root, "inbox", "sub", "f.csv");
        await using var watcher = Watcher(TimeSpan.FromHours(1));
        await File.WriteAllTextAsync(path, "a\n1\n");
        await watcher.ScanOnceAsync(CancellationToken.None);
        await File.AppendAllTextAsync(path, "2\n");
        await watcher.ScanOnceAsync(CancellationToken.None);
        await watcher.ScanOnceAsync(CancellationToken.None);

        Assert.Empty(_arrivals);
    }

    [Fact]
    public async Task Hidden_temporary_and_partial_files_are_ignored_and_keys_use_forward_slashes()
    {
        Directory.CreateDirectory(Path.Combine(_root, "inbox", "a", "b"));
        await File.WriteAllTextAsync(Path.Combine(_root, "inbox", ".hidden.csv"), "x");
        await File.WriteAllTextAsync(Path.Combine(_root, "inbox", "upload.csv.tmp"), "x");
        await File.WriteAllTextAsync(Path.Combine(_root, "inbox", "upload.csv.part"), "x");
        await File.WriteAllTextAsync(Path.Combine(_root, "inbox", "a", "b", "real.csv"), "x");
        await using var watcher = Watcher(TimeSpan.Zero);

        for (var i = 0; i < 3; i++) await watcher.ScanOnceAsync(CancellationToken.None);

        Assert.Equal(["a/b/real.csv"], _arrivals.Select(a => a.Key));
    }

    [Fact]
    public async Task A_running_watcher_picks_up_a_folder_moved_in_and_never_a_symbolic_link()
    {
        var inbox = Path.Combine(_root, "inbox");
        Directory.CreateDirectory(inbox);
        await File.WriteAllTextAsync(Path.Combine(inbox, "first.csv"), "a\n1\n");
        var outside = Path.Combine(_root, "outside");
        Directory.CreateDirectory(Path.Combine(outside, "batch"));
        for (var i = 0; i < 3; i++) await File.WriteAllTextAsync(Path.Combine(outside, "batch", $"f{i}.csv"), $"a\n{i}\n");
        await File.WriteAllTextAsync(Path.Combine(outside, "secret.csv"), "a\nsecret\n");

        await using var watcher = Watcher(TimeSpan.Zero);
        using var stop = new CancellationTokenSource();
        var running = watcher.RunAsync(stop.Token);
        await WaitForArrivalsAsync(1);

        // A link to a file outside the bucket, then a folder of files moved in whole (one event for the folder).
        File.CreateSymbolicLink(Path.Combine(inbox, "link.csv"), Path.Combine(outside, "secret.csv"));
        Directory.CreateSymbolicLink(Path.Combine(inbox, "linked-folder"), outside);
        Directory.Move(Path.Combine(outside, "batch"), Path.Combine(inbox, "batch"));
        await WaitForArrivalsAsync(4);
        await File.WriteAllTextAsync(Path.Combine(inbox, "last.csv"), "a\n9\n");
        await WaitForArrivalsAsync(5);
        await stop.CancelAsync();
        await running;

        Assert.Equal(["batch/f0.csv", "batch/f1.csv", "batch/f2.csv", "first.csv", "last.csv"], _arrivals.Select(a => a.Key).Order());
    }

    [Fact]
    public async Task A_file_renamed_into_place_is_taken_at_once_while_one_written_in_place_waits_for_the_settle_interval()
    {
        var inbox = Path.Combine(_root, "inbox");
        Directory.CreateDirectory(inbox);
        await using var watcher = Watcher(TimeSpan.FromHours(1));
        using var stop = new CancellationTokenSource();
        var running = watcher.RunAsync(stop.Token);
        await Task.Yield();

        // Written in place: stable, closed, but an hour of settling ahead of it.
        await File.WriteAllTextAsync(Path.Combine(inbox, "in-place.csv"), "a\n1\n");
        // Written under a hidden name, then renamed in whole: the writer says it is complete.
        await File.WriteAllTextAsync(Path.Combine(inbox, ".renamed.csv.tmp"), "a\n2\n");
        File.Move(Path.Combine(inbox, ".renamed.csv.tmp"), Path.Combine(inbox, "renamed.csv"));
        await WaitForArrivalsAsync(1);
        // More passes of the watcher (each file event wakes it): the in-place file still waits.
        await File.WriteAllTextAsync(Path.Combine(inbox, ".other.tmp"), "x");
        File.Move(Path.Combine(inbox, ".other.tmp"), Path.Combine(inbox, "other.csv"));
        await WaitForArrivalsAsync(2);
        await stop.CancelAsync();
        await running;

        Assert.Equal(["renamed.csv", "other.csv"], _arrivals.Select(a => a.Key));
    }

    [Fact]
    public async Task An_object_an_upload_of_this_process_recorded_is_passed_over_and_a_different_file_under_its_key_is_taken()
    {
        Directory.CreateDirectory(Path.Combine(_root, "inbox"));
        var path = Path.Combine(_root, "inbox", "up.csv");
        var uploads = new RecordedUploads();
        await using var watcher = Watcher(TimeSpan.Zero, uploads);
        using (var upload = PutAsAnUploadWould(uploads, path, "a\n1\n"))
        {
            // Still recording its job: the object waits for the upload however often it is looked at.
            for (var i = 0; i < 3; i++) await watcher.ScanOnceAsync(CancellationToken.None);
            Assert.Empty(_arrivals);
            upload.Recorded();
        }
        for (var i = 0; i < 3; i++) await watcher.ScanOnceAsync(CancellationToken.None);
        Assert.Empty(_arrivals);
        Assert.Equal(0, uploads.Count);

        // Copied over it by hand: another size and time, so not the uploaded object.
        var byHand = Path.Combine(_root, "by-hand.csv");
        await File.WriteAllTextAsync(byHand, "a\n1\n2\n");
        File.Move(byHand, path, overwrite: true);
        for (var i = 0; i < 3 && _arrivals.IsEmpty; i++) await watcher.ScanOnceAsync(CancellationToken.None);

        var arrival = Assert.Single(_arrivals);
        Assert.Equal(("up.csv", 6L), (arrival.Key, arrival.Size));
    }

    [Fact]
    public async Task An_object_whose_upload_failed_to_record_its_job_is_taken()
    {
        Directory.CreateDirectory(Path.Combine(_root, "inbox"));
        var uploads = new RecordedUploads();
        await using var watcher = Watcher(TimeSpan.Zero, uploads);
        using (PutAsAnUploadWould(uploads, Path.Combine(_root, "inbox", "up.csv"), "a\n1\n"))
            await watcher.ScanOnceAsync(CancellationToken.None);
        // Ended without Recorded(): the object is in place with no job, and only the watcher can still take it.
        for (var i = 0; i < 3 && _arrivals.IsEmpty; i++) await watcher.ScanOnceAsync(CancellationToken.None);

        Assert.Equal("up.csv", Assert.Single(_arrivals).Key);
        Assert.Equal(0, uploads.Count);
    }

    /// <summary>Writes <paramref name="content"/> under a hidden name, tells <paramref name="uploads"/>, and renames it
    /// to <paramref name="path"/>, in the order the upload API does.</summary>
    private static RecordedUploads.Upload PutAsAnUploadWould(RecordedUploads uploads, string path, string content)
    {
        var temp = FolderBuckets.TempNameFor(path);
        File.WriteAllText(temp, content);
        var upload = uploads.Begin("inbox", Path.GetFileName(path), new FileInfo(temp).Length, File.GetLastWriteTimeUtc(temp));
        File.Move(temp, path);
        return upload;
    }

    /// <summary>Waits on the arrivals themselves until <paramref name="count"/> files in all were handed on.</summary>
    private async Task WaitForArrivalsAsync(int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (_arrivals.Count < count) await _arrived.WaitAsync(timeout.Token);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
