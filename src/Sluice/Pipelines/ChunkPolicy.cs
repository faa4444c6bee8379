namespace Sluice.Pipelines;

/// <summary>
/// When a load pipeline splits a large CSV: a file with more than <see cref="Rows"/> records or more than
/// <see cref="Bytes"/> bytes is cut at record boundaries into chunks of at most that size, each transformed and
/// loaded as its own task. <see cref="Off"/> never splits.
/// </summary>
public sealed record ChunkPolicy(long Rows, long Bytes, KeyedChunkLoads KeyedLoads = KeyedChunkLoads.SideBySide)
{
    /// <summary>1,000,000 rows or 128 MiB: on 2 cores a 2,000,000-row payments file (about 170 MB) loads as two
    /// chunks side by side, while small files keep the one-task path (see bench/results).</summary>
    public static readonly ChunkPolicy Default = new(1_000_000, 128L << 20);

    /// <summary>Never split (<c>chunk: off</c>).</summary>
    public static readonly ChunkPolicy Off = new(long.MaxValue, long.MaxValue);

    public bool Enabled => Rows != long.MaxValue || Bytes != long.MaxValue;
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
