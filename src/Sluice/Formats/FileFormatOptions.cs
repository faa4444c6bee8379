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

    /// <summary>Rows per batch, and so per Parquet row group.</summary>
    public int BatchRows { get; init; } = 128 * 1024;
}
