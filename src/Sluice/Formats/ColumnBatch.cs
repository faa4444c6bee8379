using Sluice.Pipelines;
using Sluice.Formats.Vectors;

namespace Sluice.Formats;

/// <summary>
/// A slice of a table held column by column: one <see cref="ColumnVector"/> per column and, for every row, the
/// line of the source it came from. Readers fill batches, writers drain them; one batch is one Parquet row group,
/// which is what keeps memory flat whatever the file size.
/// </summary>
public sealed class ColumnBatch
{
    /// <summary>Creates an empty batch able to hold <paramref name="capacity"/> rows.</summary>
    public ColumnBatch(IReadOnlyList<ColumnDefinition> columns, int capacity)
    {
        ArgumentNullException.ThrowIfNull(columns);
        Columns = columns;
        Vectors = columns.Select(c => ColumnVector.Create(c, capacity)).ToArray();
        Lines = new long[capacity];
        Capacity = capacity;
    }

    /// <summary>The schema, in column order.</summary>
    public IReadOnlyList<ColumnDefinition> Columns { get; }

    /// <summary>The values, one vector per column.</summary>
    public ColumnVector[] Vectors { get; }

    /// <summary>For each row, the 1-based line (or row number) in the file it was read from.</summary>
    public long[] Lines { get; }

    /// <summary>How many rows the batch can hold.</summary>
    public int Capacity { get; }

    /// <summary>How many rows the batch holds.</summary>
    public int Count { get; set; }

    /// <summary>True when no more rows fit.</summary>
    public bool IsFull => Count == Capacity;
}
