using System.Collections.Concurrent;
using Sluice.Observability;
using Sluice.Storage;

namespace Sluice.Trigger;

/// <summary>
/// Watches bucket folders for new objects. A file is handed on only once it has stopped changing: its size and
/// modification time must stay the same for the settle interval, and (on Linux) no process may still hold it open
/// for writing. Hidden files
/// (a leading '.'), *.tmp, *.part and *.partial are ignored, since writers use them for files still being written;
/// symbolic links are ignored, since they could point outside the bucket.
/// A file system watcher makes pick-up prompt; a periodic scan makes it certain.
/// </summary>
public sealed class FolderWatcher : IAsyncDisposable
{
    private readonly FolderBuckets _buckets;
    private readonly IReadOnlyList<string> _bucketNames;
    private readonly TimeSpan _settle;
    private readonly Func<Arrival, CancellationToken, Task> _onArrival;
    private readonly JobLog _log;
    private readonly ConcurrentDictionary<string, Observation> _seen = new();
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);

    private sealed record Observation(long Size, DateTime Modified, DateTime FirstSeenStable, bool Handled);

    public FolderWatcher(FolderBuckets buckets, IReadOnlyList<string> bucketNames, TimeSpan settle,
        Func<Arrival, CancellationToken, Task> onArrival, JobLog log)
    {
        _buckets = buckets;
        _bucketNames = bucketNames;
        _settle = settle;
        _onArrival = onArrival;
        _log = log;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        foreach (var bucket in _bucketNames)
        {
            var dir = _buckets.BucketPath(bucket);
            Directory.CreateDirectory(dir);
            var w = new FileSystemWatcher(dir) { IncludeSubdirectories = true, EnableRaisingEvents = true };
            w.Created += (_, _) => Wake();
            w.Changed += (_, _) => Wake();
            w.Renamed += (_, _) => Wake();
            _watchers.Add(w);
        }
        var interval = TimeSpan.FromMilliseconds(Math.Clamp(_settle.TotalMilliseconds / 2, 50, 1000));
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await ScanOnceAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A trigger that stops watching loses every later file: report, and scan again.
                _log.Error($"scanning the buckets failed ({e.GetType().Name}: {e.Message}); scanning again");
            }
            try { await _wake.WaitAsync(interval, ct); }
            catch (OperationCanceledException) { break; }
            // Let a burst of events settle into one scan.
            while (_wake.CurrentCount > 0) await _wake.WaitAsync(ct);
        }
    }

    private void Wake() => _wake.Release();

    /// <summary>One pass over every bucket; returns how many files were handed on.</summary>
    public async Task<int> ScanOnceAsync(CancellationToken ct)
    {
        var handed = 0;
        var now = DateTime.UtcNow;
        foreach (var bucket in _bucketNames)
        {
            var root = _buckets.BucketPath(bucket);
            if (!Directory.Exists(root)) continue;
            foreach (var file in Enumerate(root))
            {
                ct.ThrowIfCancellationRequested();
                var key = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
                if (!ObjectKey.IsValid(key))
                {
                    if (_seen.TryAdd(file, new Observation(-1, default, default, Handled: true)))
                        _log.Warn($"ignoring {bucket}/{ObjectKey.Printable(key)}: not a valid object key (empty, '.' or '..' segments, or control characters)");
                    continue;
                }
                FileInfo info;
                try { info = new FileInfo(file); if (!info.Exists) continue; }
                catch (IOException) { continue; }
                var size = info.Length;
                var modified = info.LastWriteTimeUtc;
                var previous = _seen.GetValueOrDefault(file);
                if (previous is null || previous.Size != size || previous.Modified != modified)
                {
                    _seen[file] = new Observation(size, modified, now, Handled: false);
                    continue;
                }
                if (previous.Handled || now - previous.FirstSeenStable < _settle) continue;
                if (!await TryHandAsync(bucket, key, file, size, ct)) continue;
                _seen[file] = previous with { Handled = true };
                handed++;
            }
        }
        return handed;
    }

    private async Task<bool> TryHandAsync(string bucket, string key, string file, long size, CancellationToken ct)
    {
        if (OpenWriters.Check(file) == OpenWriters.Answer.Writing)
        {
            _log.Write(LogLevel.Debug, $"{bucket}/{key} is still open for writing; waiting");
            return false;
        }
        string sha;
        try
        {
            sha = await JobWorkspace.Sha256Async(file, ct);
        }
        catch (IOException e)
        {
            _log.Write(LogLevel.Debug, $"{bucket}/{key} not readable yet: {e.Message}");
            return false;
        }
        // The file may have grown while we hashed it: only a file unchanged across the hash is complete.
        var after = new FileInfo(file);
        if (!after.Exists || after.Length != size) return false;
        try
        {
            await _onArrival(new Arrival(bucket, key, file, size, sha), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException && Errors.ErrorClassifier.Classify(e).Transient)
        {
            // The control plane is unreachable (e.g. restarting): the file stays unhandled and the next scan tries
            // again; the same content under the same key can only ever make one job, so retrying is safe.
            _log.Warn($"could not receive {bucket}/{ObjectKey.Printable(key)} yet ({e.Message}); trying again on the next scan");
            return false;
        }
        return true;
    }

    private static IEnumerable<string> Enumerate(string root)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Hidden };
        foreach (var file in Directory.EnumerateFiles(root, "*", options))
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith('.') || name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase) ||
                name.EndsWith(".part", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".partial", StringComparison.OrdinalIgnoreCase))
                continue;
            if (Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar).Any(s => s.StartsWith('.'))) continue;
            yield return file;
        }
    }

    public ValueTask DisposeAsync()
    {
        foreach (var w in _watchers) w.Dispose();
        _wake.Dispose();
        return ValueTask.CompletedTask;
    }
}
