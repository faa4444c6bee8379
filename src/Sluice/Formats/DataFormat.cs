namespace Sluice.Formats;

/// <summary>The file formats Sluice reads and writes.</summary>
public enum DataFormat
{
    /// <summary>Comma-separated values (any dialect), RFC 4180 quoting.</summary>
    Csv,

    /// <summary>JSON Lines: one JSON object per line.</summary>
    JsonLines,

    /// <summary>Apache Parquet, flat schemas.</summary>
    Parquet,
}
