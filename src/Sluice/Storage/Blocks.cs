using System.Buffers;

namespace Sluice.Storage;

/// <summary>
/// The 1 MiB blocks that large files are read, hashed, copied, encoded and sent to COPY in, from one bounded pool of
/// Sluice's own. The shared pool keeps a block per thread that ever returned one and many more per core: over a
/// 10,000,000-row file's chunks, whose stages hop between thread-pool threads, its idle 1 MiB blocks grew a serve's
/// heap by about 10 MiB. This pool holds at most <see cref="Kept"/> idle blocks; any more are left to the collector.
/// </summary>
internal static class Blocks
{
    public const int Size = 1 << 20;

    /// <summary>Enough for every block in use at once by two workers, each running two large stages (download's two,
    /// transform's encoder, a load's copy, and a streamed load's queue).</summary>
    private const int Kept = 16;

    public static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(maxArrayLength: Size, maxArraysPerBucket: Kept);
}
