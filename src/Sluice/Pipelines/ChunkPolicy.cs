namespace Sluice.Pipelines;

/// <summary>
/// When a load pipeline splits a large CSV: a file with more than <see cref="Rows"/> records or more than
/// <see cref="Bytes"/> bytes is cut at record boundaries into chunks of at most that size, each transformed and
/// loaded as its own task. A smaller file may be spread over the cores instead (<see cref="Spread"/>).
/// <see cref="Off"/> never splits.
/// </summary>
public sealed record ChunkPolicy(long Rows, long Bytes, KeyedChunkLoads KeyedLoads = KeyedChunkLoads.SideBySide, bool Spread = true)
{
    /// <summary>1,000,000 rows or 128 MiB: on 2 cores a 2,000,000-row payments file (about 170 MB) loads as two
    /// chunks side by side, while small files keep the one-task path (see bench/results).</summary>
    public static readonly ChunkPolicy Default = new(1_000_000, 128L << 20);

    /// <summary>Never split (<c>chunk: off</c>).</summary>
    public static readonly ChunkPolicy Off = new(long.MaxValue, long.MaxValue);

    public bool Enabled => Rows != long.MaxValue || Bytes != long.MaxValue;

    /// <summary>The smallest share of a file that is spread over the cores (<see cref="SpreadWays"/>).</summary>
    public const long SpreadMinChunkBytes = 4L << 20;

    /// <summary>The largest: spread chunks stream (see <c>StreamedLoad</c>), and a streamed chunk parses beside the
    /// backend storing its rows, so two large ones oversubscribe two cores (2,000,000 rows in two chunks: 0.68× psql's
    /// time streamed, 0.56× loaded from their artifacts), while two small ones gain (200,000 rows into a table with a
    /// primary key: 0.49–0.53 s in two streamed chunks, 0.62–0.66 s whole).</summary>
    public const long SpreadMaxChunkBytes = 16L << 20;

    /// <summary>
    /// Into how many chunks a file of <paramref name="size"/> bytes is spread over <paramref name="cores"/> cores: a file
    /// smaller than one chunk goes whole to one worker, one parser beside one backend, and the backend is the slower
    /// of the two (storing rows, the more so into a table with a key) while another core idles. Spread, each core gets
    /// a share of at least <see cref="SpreadMinChunkBytes"/> and at most <see cref="SpreadMaxChunkBytes"/>; 1 when the
    /// file is not spread (too small, too large, one core, or <see cref="Spread"/> off).
    /// </summary>
    public int SpreadWays(long size, int cores)
    {
        if (!Spread || !Enabled || size >= Bytes) return 1;
        var ways = (int)Math.Min(cores, size / SpreadMinChunkBytes);
        return ways >= 2 && (size + ways - 1) / ways <= SpreadMaxChunkBytes ? ways : 1;
    }

    /// <summary>The limits a file of <paramref name="size"/> bytes is cut by: these, or, when it is spread (<see
    /// cref="SpreadWays"/>), a share per core with an eighth to spare: the planner cuts at record boundaries, so an exact
    /// share could leave a sliver over for one more chunk than there are cores.</summary>
    public ChunkPolicy For(long size, int cores)
    {
        if (SpreadWays(size, cores) is not (> 1 and var ways)) return this;
        var share = (size + ways - 1) / ways;
        return this with { Bytes = share + share / 8 };
    }
}

/// <summary>
/// How the chunks of a file appended into a table with a key (<c>target.key</c>) reach it (<c>chunk.keyed_loads</c>).
/// </summary>
public enum KeyedChunkLoads
{
    /// <summary>Side by side, like any other chunks: one backend per free worker. Each chunk's keys go into the middle
    /// of the index the later chunks are filling, whose pages then split in half: measured on 10,000,000 rows in ten
    /// chunks, a primary key of 300 MB against 214 MB, loaded in 17.1–18.8 s against 22.3–22.8 s one at a time.</summary>
    SideBySide,

    /// <summary>One at a time, in file order (the first while the others are transformed): every key lands at the
    /// index's right edge, which stays as compact as one COPY of the whole file leaves it; one backend does all the
    /// loading.</summary>
    InOrder,
}
