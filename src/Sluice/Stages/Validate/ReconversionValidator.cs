using Sluice.Formats;
using Sluice.Formats.Parquet;
using Sluice.Pipelines;
using Sluice.Stages.Conversion;

namespace Sluice.Stages.Validate;

/// <summary>
/// Proves a conversion: reads the converted file back, converts it to the source's format, then reads the source and
/// that reconversion side by side with the same schema and compares row count, column order, types and every value.
/// Values are compared as typed values (<c>18071.1</c> and <c>18071.10</c> are the same numeric(14,2)); text compares
/// character by character; null differs from an empty string.
/// </summary>
public static class ReconversionValidator
{
    /// <summary>Differences listed in the report; all are counted.</summary>
    public const int MaxListed = 100;

    /// <summary>Validates <paramref name="convertedPath"/>, a CSV file in the default dialect (<see cref="CsvOptions.Default"/>), a JSON
    /// Lines or a Parquet file, against <paramref name="sourcePath"/>; the reconversion is left at <paramref name="reconvertedPath"/>.</summary>
    public static Task<ValidationReport> ValidateAsync(string sourcePath, FileFormatOptions source, string convertedPath, DataFormat convertedFormat,
        string reconvertedPath, CancellationToken ct) =>
        ValidateAsync(sourcePath, source, convertedPath, new FileFormatOptions { Format = convertedFormat }, reconvertedPath, ct);

    /// <summary>Validates <paramref name="convertedPath"/> against <paramref name="sourcePath"/>, reading the converted file as
    /// <paramref name="converted"/> says it was written (its format and, for CSV, its dialect); the reconversion is left at
    /// <paramref name="reconvertedPath"/>.</summary>
    public static async Task<ValidationReport> ValidateAsync(string sourcePath, FileFormatOptions source, string convertedPath, FileFormatOptions converted,
        string reconvertedPath, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(converted);
        var convertedFormat = converted.Format;
        var columns = source.Schema ?? throw new ArgumentException("the source schema must be given", nameof(source));
        var mismatches = new List<ValueMismatch>();
        long count = 0;
        void Add(ValueMismatch m)
        {
            count++;
            if (mismatches.Count < MaxListed) mismatches.Add(m);
        }

        if (convertedFormat == DataFormat.Parquet) await CompareParquetSchemaAsync(convertedPath, columns, Add, ct);
        // The conversion wrote every value canonically (ISO dates, a point before the decimals), whatever the source's format.
        var written = columns.Select(c => c with { Format = null }).ToList();
        // Converted back in the source's format and, for CSV, its dialect: read with the same options, the reconversion
        // differs from the source only where the conversion changed a value.
        var back = new FileFormatOptions
        {
            Format = source.Format, Csv = source.Csv with { Encoding = "utf-8", Header = true }, Schema = written, Compression = ParquetCompression.Snappy,
        };
        var rejects = reconvertedPath + ".rejects.csv";
        var reconversion = await FileConverter.ConvertAsync(convertedPath, converted with { Schema = written }, reconvertedPath, back, rejects, null, ct);
        if (reconversion.FirstReject is { } r)
            Add(new ValueMismatch(r.Line, 0, r.Column ?? "", "(a valid row)", $"unreadable after conversion: {r.Reason}"));

        long sourceRows = 0, convertedRows = 0;
        await using (var left = await DataFiles.OpenReaderAsync(sourcePath, source, ct))
        await using (var right = await DataFiles.OpenReaderAsync(reconvertedPath, back, ct))
        {
            var a = new ColumnBatch(columns, source.RowsPerBatch(columns.Count));
            var b = new ColumnBatch(written, source.RowsPerBatch(columns.Count));
            int ai = 0, bi = 0;
            static void Ignore(RejectedRow _) { }
            while (true)
            {
                if (ai == a.Count) { ai = 0; if (!await left.ReadAsync(a, Ignore, ct)) a.Count = 0; }
                if (bi == b.Count) { bi = 0; if (!await right.ReadAsync(b, Ignore, ct)) b.Count = 0; }
                if (a.Count == 0 || b.Count == 0)
                {
                    sourceRows += a.Count - ai;
                    convertedRows += b.Count - bi;
                    while (await left.ReadAsync(a, Ignore, ct)) sourceRows += a.Count;
                    while (await right.ReadAsync(b, Ignore, ct)) convertedRows += b.Count;
                    break;
                }
                var take = Math.Min(a.Count - ai, b.Count - bi);
                for (var i = 0; i < take; i++)
                {
                    for (var c = 0; c < columns.Count; c++)
                    {
                        if (!a.Vectors[c].SameValue(ai + i, b.Vectors[c], bi + i))
                            Add(new ValueMismatch(sourceRows + i + 1, a.Lines[ai + i], columns[c].Name, a.Vectors[c].Show(ai + i), b.Vectors[c].Show(bi + i)));
                    }
                }
                ai += take;
                bi += take;
                sourceRows += take;
                convertedRows += take;
            }
        }
        File.Delete(rejects);
        if (sourceRows != convertedRows)
            Add(new ValueMismatch(Math.Min(sourceRows, convertedRows) + 1, 0, "(row count)", $"{sourceRows} rows", $"{convertedRows} rows"));
        return new ValidationReport(count == 0, sourceRows, convertedRows, ConvertManifest.ColumnsJson(columns), count, mismatches);
    }

    /// <summary>The converted Parquet file must carry the column names and logical types the source was converted with.</summary>
    private static async Task CompareParquetSchemaAsync(string path, IReadOnlyList<ColumnDefinition> columns, Action<ValueMismatch> add, CancellationToken ct)
    {
        await using var reader = await ParquetBatchReader.OpenAsync(path, null, ct);
        var expected = ParquetSchemaMapping.FromParquet(ParquetSchemaMapping.ToParquet(columns));
        var actual = reader.Columns;
        if (actual.Count != expected.Count)
            add(new ValueMismatch(0, 0, "(columns)", string.Join(", ", expected.Select(c => c.Name)), string.Join(", ", actual.Select(c => c.Name))));
        for (var i = 0; i < Math.Min(actual.Count, expected.Count); i++)
        {
            if (actual[i].Name != expected[i].Name || actual[i].Type != expected[i].Type)
                add(new ValueMismatch(0, 0, $"(column {i + 1})", $"{expected[i].Name} {expected[i].Type.ToSql()}", $"{actual[i].Name} {actual[i].Type.ToSql()}"));
        }
    }
}
