namespace Sluice.Formats;

/// <summary>The compression codecs Sluice writes Parquet with (it reads all that Parquet.Net decodes).</summary>
public enum ParquetCompression
{
    /// <summary>Zstandard: the smallest files for a moderate cost.</summary>
    Zstd,

    /// <summary>Snappy: the fastest and the most widely read.</summary>
    Snappy,

    /// <summary>Gzip: readable by the oldest tools.</summary>
    Gzip,

    /// <summary>No compression.</summary>
    None,
}
