using System.Collections.Concurrent;
using System.Diagnostics;
using Sluice.Formats.Csv;

namespace Sluice.Storage;

/// <summary>
/// Copies the receive stage made of arrived files, straight into their new jobs' workspaces, hashing as it copied
/// (<see cref="HashedCopy"/>): the job's download stage, run in this same process on the job's first attempt, takes the
/// copy instead of reading the file a second time. In memory on purpose: a copy is trusted only by the process that
/// made it and saw it complete. After a restart (a crash could have left it short on disk), in another process, or
/// on a replay, the download stage copies and hashes the object again as always.
/// </summary>
public static class ReceivedCopies
{
    /// <param name="Path">The copy in the job workspace's download folder.</param>
    /// <param name="Plan">The chunk plan made while copying, when the download stage would have made one.</param>
    public sealed record Copy(string Path, long Size, string Sha256, CsvChunkPlan? Plan)
    {
        internal long MadeAt { get; } = Stopwatch.GetTimestamp();
    }

    /// <summary>Copies whose download runs elsewhere (another process claimed the job) are never taken: at most this
    /// many are remembered, the stale ones forgotten first.</summary>
    private const int MaxRemembered = 10_000;
    private static readonly TimeSpan Stale = TimeSpan.FromHours(1);
    private static readonly ConcurrentDictionary<Guid, Copy> Copies = new();

    public static void Add(Guid jobId, Copy copy)
    {
        if (Copies.Count >= MaxRemembered)
            foreach (var (id, old) in Copies)
                if (Stopwatch.GetElapsedTime(old.MadeAt) > Stale) Copies.TryRemove(id, out _);
        if (Copies.Count < MaxRemembered) Copies[jobId] = copy;
    }

    /// <summary>The job's copy, once: whoever takes it owns it.</summary>
    public static Copy? Take(Guid jobId) => Copies.TryRemove(jobId, out var copy) ? copy : null;
}
