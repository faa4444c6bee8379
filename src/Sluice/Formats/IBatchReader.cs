using Sluice.Pipelines;

namespace Sluice.Formats;

/// <summary>Reads a data file as a sequence of <see cref="ColumnBatch"/>es of one schema.</summary>
public interface IBatchReader : IAsyncDisposable
{
    /// <summary>The columns every batch holds.</summary>
    IReadOnlyList<ColumnDefinition> Columns { get; }

    /// <summary>
    /// Fills <paramref name="batch"/> (cleared first) with the next rows; false when the file is exhausted and the
    /// batch is empty. Records that cannot become rows go to <paramref name="rejected"/>.
    /// </summary>
    ValueTask<bool> ReadAsync(ColumnBatch batch, Action<RejectedRow> rejected, CancellationToken ct);
}
