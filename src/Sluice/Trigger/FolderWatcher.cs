using System.Collections.Concurrent;
using Sluice.Observability;
using Sluice.Storage;

namespace Sluice.Trigger;

/// <summary>
/// Watches bucket folders for new objects. A file is handed on only once it has stopped changing: its size and
/// modification time must stay the same for the settle interval, and (on Linux) no process may still hold it open
/// for writing. A file renamed into place within the bucket (written under another name, then moved) is complete by
/// its writer's own word and skips the settle interval; the open-writer check and the size check across hashing
/// still apply. Hidden files
/// (a leading '.'), *.tmp, *.part and *.partial are ignored, since writers use them for files still being written;
/// symbolic links are ignored, since they could point outside the bucket. An object an upload of this process put in
/// place and recorded the job of (<see cref="RecordedUploads"/>) is passed over without being read.
/// File system events say which paths changed, and only those (and files still settling) are looked at again; a full
/// scan of every bucket runs at start, every <see cref="FullScanInterval"/>, and whenever the events overflowed, so a
/// missed event delays a file but never loses it. Where events cannot be had, every pass is a full scan.
/// Up to <see cref="ConcurrentReceives"/> files are received at once, each on its own, so a large file being copied
/// does not hold back the files that arrive behind it.
/// </summary>
public sealed class FolderWatcher : IAsyncDisposable
{
    /// <summary>How often every file of every bucket is looked at even without events (the safety net).</summary>
    public static readonly TimeSpan FullScanInterval = TimeSpan.FromSeconds(5);

    /// <summary>How many files are received at once. One receive is mostly reading and writing a file, then waiting
    /// for its job's commit to reach the disk: side by side, a burst's commits share those waits, and a file of a
    /// gigabyte being copied holds back no other.</summary>
    public const int ConcurrentReceives = 4;

    private readonly FolderBuckets _buckets;
    private readonly IReadOnlyList<string> _bucketNames;
    private readonly TimeSpan _settle;
    private readonly Func<FoundFile, CancellationToken, Task<bool>> _onFound;
    private readonly JobLog _log;
    private readonly RecordedUploads? _uploads;
    private readonly ConcurrentDictionary<string, Observation> _seen = new();
    /// <summary>Files seen but not handed on yet (settling, still open, or refused for now), with their bucket.</summary>
    private readonly ConcurrentDictionary<string, string> _pending = new();
    /// <summary>Paths events named since the last pass, with their bucket.</summary>
    private readonly ConcurrentQueue<(string Bucket, string Path)> _changed = new();
    /// <summary>Paths a rename event named as its new name, not yet looked at.</summary>
    private readonly ConcurrentDictionary<string, byte> _renamedIn = new();
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly SemaphoreSlim _receiving = new(ConcurrentReceives, ConcurrentReceives);
    /// <summary>Files being received now: passes leave them alone until their receive has ended.</summary>
    private readonly ConcurrentDictionary<string, byte> _receivingNow = new();
    /// <summary>The receives under way, for a pass or a stop to wait for.</summary>
    private readonly ConcurrentDictionary<Task, byte> _receives = new();
    private volatile bool _rescan = true;
    private bool _eventsWork;

    private sealed record Observation(long Size, DateTime Modified, DateTime FirstSeenStable, bool Handled);

    /// <summary>A file found complete: <paramref name="Size"/> bytes when it was last looked at.</summary>
    public sealed record FoundFile(string Bucket, string Key, string Path, long Size);

    /// <param name="uploads">The uploads of this process, whose objects are passed over; null when there are none.</param>
    public FolderWatcher(FolderBuckets buckets, IReadOnlyList<string> bucketNames, TimeSpan settle,
        Func<FoundFile, CancellationToken, Task<bool>> onFound, JobLog log, RecordedUploads? uploads = null)
    {
        _buckets = buckets;
        _bucketNames = bucketNames;
        _settle = settle;
        _onFound = onFound;
        _log = log;
        _uploads = uploads;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        _eventsWork = StartWatchers();
        var settling = TimeSpan.FromMilliseconds(Math.Clamp(_settle.TotalMilliseconds / 2, 50, 1000));
        var nextFullScan = DateTime.UtcNow;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!_eventsWork || _rescan || DateTime.UtcNow >= nextFullScan)
                {
                    _rescan = false;
                    _changed.Clear();
                    await ScanAsync(ct);
                    nextFullScan = DateTime.UtcNow + FullScanInterval;
                }
                else
                    await CheckChangedAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A trigger that stops watching loses every later file: report, and scan everything again.
                _log.Error($"scanning the buckets failed ({e.GetType().Name}: {e.Message}); scanning again");
                _rescan = true;
                nextFullScan = DateTime.UtcNow + settling;   // again soon, but never in a tight loop
            }
            // Files still settling (or being received, which may yet fail) are looked at again soon; otherwise only an
            // event or the next full scan wakes us.
            var wait = !_eventsWork || !_pending.IsEmpty || !_receivingNow.IsEmpty ? settling : nextFullScan - DateTime.UtcNow;
            try { await _wake.WaitAsync(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, ct); }
            catch (OperationCanceledException) { break; }
            // Let a burst of events settle into one pass.
            while (_wake.CurrentCount > 0) await _wake.WaitAsync(ct);
        }
        // Receives under way end first (they stop at their next step once cancelled).
        await Task.WhenAll(_receives.Keys).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private bool StartWatchers()
    {
        try
        {
            foreach (var bucket in _bucketNames)
            {
                var dir = _buckets.BucketPath(bucket);
                Directory.CreateDirectory(dir);
                var w = new FileSystemWatcher(dir) { IncludeSubdirectories = true, InternalBufferSize = 64 * 1024 };
                w.Created += (_, e) => Changed(bucket, e.FullPath);
                w.Changed += (_, e) => Changed(bucket, e.FullPath);
                w.Renamed += (_, e) =>
                {
                    // Sluice's own puts (uploads, `sluice run`) record their jobs themselves: those settle as usual, and
                    // one by an upload of this process is then passed over (RecordedUploads).
                    if (IsCandidate(dir, e.FullPath, folder: false) && !Path.GetFileName(e.OldFullPath).StartsWith(FolderBuckets.TempPrefix, StringComparison.Ordinal))
                        _renamedIn[e.FullPath] = 0;
                    Changed(bucket, e.FullPath);
                };
                w.Error += (_, _) => { _rescan = true; Wake(); };
                w.EnableRaisingEvents = true;
                _watchers.Add(w);
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException or ArgumentException)
        {
            _log.Warn($"file system events are not available ({e.Message}); scanning the buckets every {_settle.TotalMilliseconds / 2:0} ms instead");
            return false;
        }
    }

    private void Changed(string bucket, string path)
    {
        _changed.Enqueue((bucket, path));
        Wake();
    }

    private void Wake() => _wake.Release();

    /// <summary>One pass over every file of every bucket, and the receives it started; returns how many files were
    /// handed on.</summary>
    public async Task<int> ScanOnceAsync(CancellationToken ct)
    {
        var started = await ScanAsync(ct);
        await Task.WhenAll(started);
        return started.Count;
    }

    /// <returns>The receives this pass started (they go on after it).</returns>
    private async Task<List<Task>> ScanAsync(CancellationToken ct)
    {
        var started = new List<Task>();
        var now = DateTime.UtcNow;
        foreach (var bucket in _bucketNames)
        {
            var root = _buckets.BucketPath(bucket);
            if (!Directory.Exists(root)) continue;
            foreach (var file in Enumerate(root, root))
                if (await ObserveAsync(bucket, root, file, now, ct) is { } receive) started.Add(receive);
        }
        return started;
    }

    /// <summary>Looks only at the paths events named (a folder: everything in it) and at files still settling.</summary>
    private async Task CheckChangedAsync(CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        while (_changed.TryDequeue(out var changed))
        {
            var root = _buckets.BucketPath(changed.Bucket);
            if (Directory.Exists(changed.Path))
            {
                if (IsCandidate(root, changed.Path, folder: true) && !IsLink(changed.Path) && !UnderLink(root, changed.Path))
                    foreach (var file in Enumerate(root, changed.Path)) paths[file] = changed.Bucket;
            }
            else if (IsCandidate(root, changed.Path, folder: false) && !UnderLink(root, changed.Path)) paths[changed.Path] = changed.Bucket;
        }
        foreach (var (file, bucket) in _pending) paths[file] = bucket;
        foreach (var (file, bucket) in paths)
            await ObserveAsync(bucket, _buckets.BucketPath(bucket), file, now, ct);
    }

    /// <summary>Notes a file's size and time; hands it on once it has been stable for the settle interval.</summary>
    /// <returns>The file's receive, when this started it.</returns>
    private async Task<Task?> ObserveAsync(string bucket, string root, string file, DateTime now, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (_receivingNow.ContainsKey(file)) return null;
        // Taken whatever happens next, so a mark never outlives its file (one renamed in and gone before this pass).
        var renamedIn = _renamedIn.TryRemove(file, out _);
        var key = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
        if (ObjectKey.Problem(key) is { } problem)
        {
            if (_seen.TryAdd(file, new Observation(-1, default, default, Handled: true)))
                _log.Warn($"ignoring {bucket}/{ObjectKey.Printable(key)}: not a valid object key, it {problem}");
            return null;
        }
        FileInfo info;
        try
        {
            info = new FileInfo(file);
            // A symbolic link is never followed: it could point outside the bucket.
            if (!info.Exists || info.Attributes.HasFlag(FileAttributes.ReparsePoint)) { _pending.TryRemove(file, out _); return null; }
        }
        catch (IOException) { return null; }
        var size = info.Length;
        var modified = info.LastWriteTimeUtc;
        switch (_uploads?.PassOver(bucket, key, size, modified))
        {
            case RecordedUploads.Verdict.Recorded:
                // Its job is recorded and holds its own copy: reading it again would only find that job. A different
                // file put here later changes size or time and is taken as usual.
                _seen[file] = new Observation(size, modified, now, Handled: true);
                _pending.TryRemove(file, out _);
                return null;
            case RecordedUploads.Verdict.BeingRecorded:
                _pending[file] = bucket;
                return null;
        }
        var previous = _seen.GetValueOrDefault(file);
        if (renamedIn && previous is null)
        {
            // Renamed into place: already stable as far as the settle interval goes.
            previous = new Observation(size, modified, now - _settle, Handled: false);
            _seen[file] = previous;
        }
        if (previous is null || previous.Size != size || previous.Modified != modified)
        {
            _seen[file] = new Observation(size, modified, now, Handled: false);
            _pending[file] = bucket;
            return null;
        }
        if (previous.Handled) { _pending.TryRemove(file, out _); return null; }
        if (now - previous.FirstSeenStable < _settle) { _pending[file] = bucket; return null; }
        await _receiving.WaitAsync(ct);
        _receivingNow[file] = 0;
        _pending.TryRemove(file, out _);
        var receive = Task.Run(() => ReceiveAsync(bucket, key, file, size, previous, ct), CancellationToken.None);
        _receives.TryAdd(receive, 0);
        _ = receive.ContinueWith(done => _receives.TryRemove(done, out _), TaskScheduler.Default);
        return receive;
    }

    /// <summary>Hands the file on; marks it handled, or leaves it for a later pass (still being written, unreadable
    /// for now, the control plane unreachable).</summary>
    private async Task ReceiveAsync(string bucket, string key, string file, long size, Observation seen, CancellationToken ct)
    {
        try
        {
            if (await TryHandAsync(bucket, key, file, size, ct)) _seen[file] = seen with { Handled = true };
            else _pending[file] = bucket;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception e)
        {
            _log.Error($"receiving {bucket}/{ObjectKey.Printable(key)} failed ({e.GetType().Name}: {e.Message}); trying again on a later pass");
            _pending[file] = bucket;
        }
        finally
        {
            _receivingNow.TryRemove(file, out _);
            _receiving.Release();
        }
    }

    private async Task<bool> TryHandAsync(string bucket, string key, string file, long size, CancellationToken ct)
    {
        if (OpenWriters.Check(file) == OpenWriters.Answer.Writing)
        {
            _log.Write(LogLevel.Debug, $"{bucket}/{key} is still open for writing; waiting");
            return false;
        }
        try
        {
            // False when the file changed while it was read (still being written): looked at again later.
            return await _onFound(new FoundFile(bucket, key, file, size), ct);
        }
        catch (IOException e)
        {
            _log.Write(LogLevel.Debug, $"{bucket}/{key} not readable yet: {e.Message}");
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException && Errors.ErrorClassifier.Classify(e).Transient)
        {
            // The control plane is unreachable (e.g. restarting): the file stays unhandled and the next scan tries
            // again; the same content under the same key can only ever make one job, so retrying is safe.
            _log.Warn($"could not receive {bucket}/{ObjectKey.Printable(key)} yet ({e.Message}); trying again on the next scan");
            return false;
        }
    }

    /// <summary>The candidate files under <paramref name="folder"/> (the bucket root or one of its folders).</summary>
    private static IEnumerable<string> Enumerate(string root, string folder)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Hidden };
        IEnumerable<string> files;
        try { files = Directory.EnumerateFiles(folder, "*", options); }
        catch (DirectoryNotFoundException) { yield break; }
        foreach (var file in files)
            if (IsCandidate(root, file, folder: false)) yield return file;
    }

    /// <summary>False for names writers use while a file is incomplete, and for anything under a hidden folder.</summary>
    private static bool IsCandidate(string root, string path, bool folder)
    {
        var relative = Path.GetRelativePath(root, path);
        if (relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)) return folder && relative == ".";
        if (relative.Split(Path.DirectorySeparatorChar).Any(s => s.StartsWith('.'))) return false;
        if (folder) return true;
        var name = Path.GetFileName(path);
        return !(name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".part", StringComparison.OrdinalIgnoreCase) ||
                 name.EndsWith(".partial", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Whether a folder between the bucket root and <paramref name="path"/> is a symbolic link (never followed).</summary>
    private static bool UnderLink(string root, string path)
    {
        for (var dir = Path.GetDirectoryName(path); dir is not null && dir.Length > root.Length; dir = Path.GetDirectoryName(dir))
            if (IsLink(dir)) return true;
        return false;
    }

    private static bool IsLink(string path)
    {
        try { return new DirectoryInfo(path).LinkTarget is not null; }
        catch (IOException) { return true; }
    }

    public ValueTask DisposeAsync()
    {
        foreach (var w in _watchers) w.Dispose();
        _wake.Dispose();
        return ValueTask.CompletedTask;
    }
}
