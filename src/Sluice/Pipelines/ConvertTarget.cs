using Sluice.Formats;

namespace Sluice.Pipelines;

/// <summary>Where a convert pipeline writes: the target format, for Parquet its compression, for CSV its dialect.</summary>
/// <param name="Format">csv, jsonl or parquet.</param>
/// <param name="Compression">Parquet compression (zstd by default).</param>
public sealed record ConvertTarget(DataFormat Format, ParquetCompression Compression = ParquetCompression.Zstd)
{
    /// <summary>The dialect a CSV target is written in, whatever the source's: by default RFC 4180 (comma, <c>"</c>
    /// doubled to escape, a header line, UTF-8 without BOM, LF, a null as an empty unquoted field).</summary>
    public CsvOptions Csv { get; init; } = CsvOptions.Default;

    /// <summary>The converted file's extension with its dot: the format's, or <c>.tsv</c> for <c>format: tsv</c>.</summary>
    public string Extension { get; init; } = DataFormatNames.Extension(Format);
}
