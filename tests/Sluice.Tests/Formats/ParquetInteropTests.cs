using Sluice.Formats;
using Sluice.Pipelines;
using Sluice.Stages.Conversion;
using Sluice.Stages.Validate;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Formats;

public sealed class ParquetInteropTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-pq-").FullName;

    [Fact]
    public async Task Parquet_written_by_Sluice_opens_in_DuckDB_with_the_right_logical_types_and_exact_values()
    {
        var csv = Path.Combine(_dir, "t.csv");
        await File.WriteAllTextAsync(csv, RandomTable.Csv(5, 500) + "1001,1,1,18071.13" + new string(',', RandomTable.Columns.Length - 4) + "\n");
        var parquet = Path.Combine(_dir, "t.parquet");
        var options = new FileFormatOptions { Format = DataFormat.Csv, Schema = RandomTable.Columns };
        await FileConverter.ConvertAsync(csv, options, parquet, options with { Format = DataFormat.Parquet }, parquet + ".rej", null, CancellationToken.None);

        var types = await DuckDb.QueryAsync($"SELECT column_name || ' ' || column_type FROM (DESCRIBE SELECT * FROM read_parquet('{parquet}'))");
        Assert.Equal(
        [
            "id BIGINT", "small SMALLINT", "count INTEGER", "amount DECIMAL(14,2)", "wide DECIMAL(28,10)", "huge DECIMAL(38,10)",
            "whole DECIMAL(38,0)", "tiny DECIMAL(29,29)", "ratio DOUBLE", "flag BOOLEAN", "day DATE", "at TIMESTAMP",
            "at_tz TIMESTAMP WITH TIME ZONE", "key UUID", "note VARCHAR", "doc VARCHAR",
        ], types);
        Assert.Equal(["18071.13"], await DuckDb.QueryAsync($"SELECT amount::VARCHAR FROM read_parquet('{parquet}') WHERE id = 1001"));
        Assert.Equal(["501"], await DuckDb.QueryAsync($"SELECT count(*)::VARCHAR FROM read_parquet('{parquet}')"));
    }

    [Theory]
    [InlineData("snappy")]
    [InlineData("gzip")]
    [InlineData("zstd")]
    public async Task Parquet_written_by_DuckDB_with_dictionaries_nulls_and_many_row_groups_is_read_exactly(string codec)
    {
        var parquet = Path.Combine(_dir, $"duck-{codec}.parquet");
        await DuckDb.QueryAsync($"""
            COPY (SELECT i::BIGINT AS id, ((i * 7 % 100000)::DECIMAL(14,2) / 100)::DECIMAL(12,2) AS amount,
                         CASE WHEN i % 5 = 0 THEN NULL ELSE ['EUR','USD','GBP'][i % 3 + 1] END AS currency,
                         CASE WHEN i % 7 = 0 THEN '' ELSE 'note ' || i END AS note,
                         TIMESTAMP '2026-01-01 00:00:00' + INTERVAL (i) MICROSECOND AS at,
                         DATE '2026-01-01' + (i % 400)::INTEGER AS day, i % 2 = 0 AS even
                  FROM range(25000) t(i))
            TO '{parquet}' (FORMAT parquet, COMPRESSION {codec}, ROW_GROUP_SIZE 2048)
            """);
        var csv = Path.Combine(_dir, $"duck-{codec}.csv");
        await DuckDb.QueryAsync($"COPY (SELECT * FROM read_parquet('{parquet}')) TO '{csv}' (HEADER, FORCE_QUOTE (note))");

        var parquetOptions = new FileFormatOptions { Format = DataFormat.Parquet, BatchRows = 5000 };
        var result = await FileConverter.ConvertAsync(parquet, parquetOptions, Path.Combine(_dir, "s.csv"), new FileFormatOptions { Format = DataFormat.Csv },
            Path.Combine(_dir, "r.csv"), null, CancellationToken.None);

        Assert.Equal(25000, result.Written);
        Assert.Equal(["id bigint", "amount numeric(12,2)", "currency text", "note text", "at timestamp", "day date", "even boolean"],
            result.Columns.Select(c => $"{c.Name} {c.Type.ToSql()}"));
        // DuckDB's own CSV of the same file, read with the Parquet file's schema, equals the Parquet file row for row.
        var report = await ReconversionValidator.ValidateAsync(csv, new FileFormatOptions { Format = DataFormat.Csv, Schema = result.Columns },
            parquet, DataFormat.Parquet, Path.Combine(_dir, "check.csv"), CancellationToken.None);
        Assert.True(report.Passed, report.Summary());
    }

    [Fact]
    public async Task A_wide_table_is_converted_in_batches_of_at_most_BatchValues_values_and_reads_back_exactly()
    {
        // By default 5,000 columns take 838 rows a batch, not 128 Ki (5,000 × 128 Ki values took 17 GB); here 300 a batch.
        Assert.Equal(838, new FileFormatOptions { Format = DataFormat.Csv }.RowsPerBatch(5000));
        const int columns = 500, rows = 1000;
        var csv = Path.Combine(_dir, "wide.csv");
        await using (var file = new StreamWriter(csv))
        {
            await file.WriteLineAsync(string.Join(',', Enumerable.Range(0, columns).Select(c => $"c{c}")));
            for (var r = 0; r < rows; r++) await file.WriteLineAsync(string.Join(',', Enumerable.Range(0, columns).Select(c => $"{r}.{c % 100:D2}")));
        }
        var parquet = Path.Combine(_dir, "wide.parquet");
        var options = new FileFormatOptions { Format = DataFormat.Csv, BatchValues = 150_000 };

        var result = await FileConverter.ConvertAsync(csv, options, parquet, options with { Format = DataFormat.Parquet }, parquet + ".rej", null, CancellationToken.None);
        var report = await ReconversionValidator.ValidateAsync(csv, options with { Schema = result.Columns }, parquet, DataFormat.Parquet,
            Path.Combine(_dir, "back.csv"), CancellationToken.None);

        Assert.Equal(rows, result.Written);
        Assert.True(report.Passed, report.Summary());
        Assert.Equal(["4 300"], await DuckDb.QueryAsync(
            $"SELECT count(DISTINCT row_group_id) || ' ' || max(row_group_num_rows) FROM parquet_metadata('{parquet}')"));
        Assert.Equal(["999.99"], await DuckDb.QueryAsync($"SELECT max(c499)::VARCHAR FROM read_parquet('{parquet}')"));
    }

    [Fact]
    public async Task A_nested_Parquet_column_is_refused_with_an_error_naming_it()
    {
        var parquet = Path.Combine(_dir, "nested.parquet");
        await DuckDb.QueryAsync($"COPY (SELECT 1 AS id, {{'street': 'Main', 'no': 5}} AS address, [1, 2] AS tags) TO '{parquet}' (FORMAT parquet)");

        var error = await Assert.ThrowsAsync<DataFileException>(() =>
            DataFiles.OpenReaderAsync(parquet, new FileFormatOptions { Format = DataFormat.Parquet }, CancellationToken.None));

        Assert.Equal("parquet.nested_column", error.Code);
        Assert.Contains("column 'address' is a struct", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
