namespace Sluice.Pipelines;

/// <summary>
/// When a load pipeline splits a large file into chunks that are transformed and loaded in parallel, each committing
/// on its own: a file is split when it holds more than <see cref="Rows"/> records or more than <see cref="Bytes"/>
/// bytes, and each chunk holds at most that many of either (cut at record boundaries).
/// </summary>
public sealed record ChunkPolicy(long Rows, long Bytes)
{
    /// <summary>1,000,000 rows or 128 MiB: on 2 cores a 2,000,000-row payments file (about 170 MB) loads as two
    /// chunks side by side, while small files keep the one-task path (see bench/results).</summary>
    public static readonly ChunkPolicy Default = new(1_000_000, 128L << 20);

    /// <summary>Never split (<c>chunk: off</c>).</summary>
    public static readonly ChunkPolicy Off = new(long.MaxValue, long.MaxValue);

    public bool Enabled => Rows != long.MaxValue || Bytes != long.MaxValue;
}
