using Sluice.Formats;

namespace Sluice.Pipelines;

/// <summary>Where a convert pipeline writes: the target format and, for Parquet, its compression.</summary>
/// <param name="Format">csv, jsonl or parquet.</param>
/// <param name="Compression">Parquet compression (zstd by default).</param>
public sealed record ConvertTarget(DataFormat Format, ParquetCompression Compression = ParquetCompression.Zstd);
