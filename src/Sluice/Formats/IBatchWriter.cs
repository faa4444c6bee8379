namespace Sluice.Formats;

/// <summary>Writes <see cref="ColumnBatch"/>es to a data file; <see cref="CompleteAsync"/> finishes the file.</summary>
public interface IBatchWriter : IAsyncDisposable
{
    /// <summary>Appends the rows of <paramref name="batch"/>.</summary>
    ValueTask WriteAsync(ColumnBatch batch, CancellationToken ct);

    /// <summary>Writes what the format needs at the end (Parquet's footer) and flushes; a file not completed is not valid.</summary>
    ValueTask CompleteAsync(CancellationToken ct);
}
