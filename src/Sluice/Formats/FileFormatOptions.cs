using Sluice.Pipelines;

namespace Sluice.Formats;

/// <summary>How to read or write one data file. Immutable; derive variants with <c>with</c>.</summary>
public sealed record FileFormatOptions
{
    /// <summary>The format of the file.</summary>
    public required DataFormat Format { get; init; }

    /// <summary>The CSV dialect (CSV only); also the null markers and sample size of inference.</summary>
    public CsvOptions Csv { get; init; } = CsvOptions.Default;

    /// <summary>Declared columns; null means infer them (CSV, JSON Lines) or take the file's (Parquet).</summary>
    public IReadOnlyList<ColumnDefinition>? Schema { get; init; }

    /// <summary>Parquet compression when writing.</summary>
    public ParquetCompression Compression { get; init; } = ParquetCompression.Zstd;

    /// <summary>A folder for a re-cut copy of a Parquet file whose row groups are too large to decode whole (see
    /// <see cref="Parquet.ParquetRegrouping"/>); null reads such a file as it is, within the limit.</summary>
    public string? ScratchFolder { get; init; }

    /// <summary>Rows per batch, and so per Parquet row group (fewer for a wide table: see <see cref="RowsPerBatch"/>).</summary>
    public int BatchRows { get; init; } = 128 * 1024;

    /// <summary>The most values one batch holds. A batch allocates every column for all its rows up front: at 128 Ki rows,
    /// a 5,000-column file took 17 GB in conversion and validation; 4 Mi values keep a batch near 100 MB whatever the width.</summary>
    public int BatchValues { get; init; } = 4 * 1024 * 1024;

    /// <summary>Rows per batch for a table of <paramref name="columns"/> columns: <see cref="BatchRows"/>, or fewer when
    /// that many rows would hold more than <see cref="BatchValues"/> values (by default, tables wider than 32 columns).</summary>
    public int RowsPerBatch(int columns) => Math.Clamp(BatchValues / Math.Max(1, columns), 1, BatchRows);
}
