namespace Sluice.Formats;

/// <summary>How formats are named in pipelines and on the command line, and guessed from file names.</summary>
public static class DataFormatNames
{
    /// <summary>The accepted names, for messages.</summary>
    public const string Accepted = "csv, jsonl or parquet";

    /// <summary>Parses <c>csv</c>, <c>tsv</c>, <c>jsonl</c>/<c>ndjson</c>/<c>json</c>, <c>parquet</c>/<c>pq</c> (any case).</summary>
    public static bool TryParse(string? name, out DataFormat format)
    {
        format = default;
        switch (name?.Trim().TrimStart('.').ToLowerInvariant())
        {
            case "csv" or "tsv" or "txt":
                format = DataFormat.Csv;
                return true;
            case "jsonl" or "ndjson" or "json":
                format = DataFormat.JsonLines;
                return true;
            case "parquet" or "pq":
                format = DataFormat.Parquet;
                return true;
            default:
                return false;
        }
    }

    /// <summary>The format a file's extension names, or null; a gzip-compressed file's is the one before <c>.gz</c>
    /// (<c>data.csv.gz</c> is CSV).</summary>
    public static DataFormat? FromPath(string path) =>
        TryParse(Path.GetExtension(Storage.CompressedSource.InflatedName(path)), out var format) ? format : null;

    /// <summary>The name used in pipelines and reports.</summary>
    public static string Name(DataFormat format) => format switch
    {
        DataFormat.Csv => "csv",
        DataFormat.JsonLines => "jsonl",
        _ => "parquet",
    };

    /// <summary>The file extension written for a format, with its dot.</summary>
    public static string Extension(DataFormat format) => "." + Name(format);
}
