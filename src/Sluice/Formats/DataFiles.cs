using Parquet;
using Sluice.Formats.Csv;
using Sluice.Formats.JsonLines;
using Sluice.Formats.Parquet;
using Sluice.Pipelines;

namespace Sluice.Formats;

/// <summary>The one place that opens readers and writers by format.</summary>
public static class DataFiles
{
    /// <summary>Opens a reader; columns are declared, inferred from a sample, or (Parquet) the file's own.</summary>
    /// <exception cref="DataFileException">The file cannot be read as the format (messages name the line when known).</exception>
    public static async Task<IBatchReader> OpenReaderAsync(string path, FileFormatOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(path)) throw new DataFileException("source.missing", null, $"file '{path}' does not exist.");
        try
        {
            return options.Format switch
            {
                DataFormat.Csv => CsvBatchReader.Open(path, options.Csv, options.Schema),
                DataFormat.JsonLines => JsonLinesBatchReader.Open(path, options.Schema, options.Csv.SampleRows),
                _ => await ParquetBatchReader.OpenAsync(path, options.Schema, ct, regroupInto: options.ScratchFolder),
            };
        }
        catch (CsvFileException e)
        {
            throw new DataFileException(e.Code, e.Line, e.Line is { } line ? $"line {line}: {e.Message}" : e.Message);
        }
    }

    /// <summary>Creates a writer for <paramref name="columns"/>.</summary>
    /// <exception cref="DataFileException">A column cannot be written exactly in the format.</exception>
    public static async Task<IBatchWriter> CreateWriterAsync(string path, IReadOnlyList<ColumnDefinition> columns, FileFormatOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Format switch
        {
            DataFormat.Csv => new CsvBatchWriter(path, columns, options.Csv),
            DataFormat.JsonLines => new JsonLinesBatchWriter(path, columns),
            _ => await ParquetBatchWriter.CreateAsync(path, columns, options.Compression switch
            {
                ParquetCompression.Snappy => CompressionMethod.Snappy,
                ParquetCompression.Gzip => CompressionMethod.Gzip,
                ParquetCompression.None => CompressionMethod.None,
                _ => CompressionMethod.Zstd,
            }, ct),
        };
    }

    /// <summary>The warnings a reader collected (header columns outside the schema), if it collects any.</summary>
    public static IReadOnlyList<string> WarningsOf(IBatchReader reader) => reader switch
    {
        CsvBatchReader csv => csv.Warnings,
        ParquetBatchReader parquet => parquet.Warnings,
        _ => [],
    };
}
