using Parquet;
using Parquet.Schema;
using Sluice.Formats;
using Sluice.Stages.Conversion;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Formats;

public sealed class NanosecondTimestampTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-ns-").FullName;

    [Fact]
    public async Task DuckDB_nanosecond_timestamps_of_whole_microseconds_convert_exactly()
    {
        var parquet = Path.Combine(_dir, "ns.parquet");
        await DuckDb.QueryAsync($"""
            COPY (SELECT * FROM (VALUES (1, TIMESTAMP_NS '2026-01-31 12:00:00.123456'), (2, TIMESTAMP_NS '1970-01-01 00:00:00'),
                                        (3, TIMESTAMP_NS '1969-12-31 23:59:59.999999'), (4, NULL)) t(id, "at"))
            TO '{parquet}' (FORMAT parquet)
            """);

        var (csv, result) = await ToCsv(parquet);

        Assert.Equal("at timestamp", $"{result.Columns[1].Name} {result.Columns[1].Type.ToSql()}");
        Assert.Equal("id,at\n1,2026-01-31 12:00:00.123456\n2,1970-01-01 00:00:00\n3,1969-12-31 23:59:59.999999\n4,\n", await File.ReadAllTextAsync(csv));
    }

    [Fact]
    public async Task A_sub_microsecond_timestamp_fails_the_conversion_naming_its_row_and_column()
    {
        var parquet = Path.Combine(_dir, "ns.parquet");
        // Three row groups; the one value with nanoseconds is row 4500, in the third.
        await DuckDb.QueryAsync($"""
            COPY (SELECT i + 1 AS id,
                         CASE WHEN i = 4499 THEN TIMESTAMP_NS '2026-01-31 12:00:00.123456789'
                              ELSE TIMESTAMP_NS '2026-01-01 00:00:00' + INTERVAL (i) MICROSECOND END AS at
                  FROM range(5000) t(i))
            TO '{parquet}' (FORMAT parquet, ROW_GROUP_SIZE 2048)
            """);

        var error = await Assert.ThrowsAsync<DataFileException>(() => ToCsv(parquet));

        Assert.Equal("parquet.sub_microsecond", error.Code);
        Assert.Equal(4500, error.Line);
        Assert.StartsWith("row 4500, column 'at': 2026-01-31 12:00:00.123456789 has nanoseconds", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "out.csv")));
    }

    [Fact]
    public async Task Legacy_INT96_timestamps_keep_microseconds_and_refuse_sub_microsecond_digits()
    {
        var exact = new DateTime(2026, 1, 31, 12, 0, 0, DateTimeKind.Utc).AddTicks(1_234_560);
        var int96 = await WriteInt96("int96.parquet", exact, exact.AddTicks(5));

        var error = await Assert.ThrowsAsync<DataFileException>(() => ToCsv(int96));

        Assert.StartsWith("row 2, column 'at': 2026-01-31 12:00:00.123456500 has nanoseconds", error.Message, StringComparison.Ordinal);
        var (csv, _) = await ToCsv(await WriteInt96("exact.parquet", exact));
        Assert.Equal("at\n2026-01-31 12:00:00.123456Z\n", await File.ReadAllTextAsync(csv));
    }

    private async Task<string> WriteInt96(string name, params DateTime[] values)
    {
        var path = Path.Combine(_dir, name);
        var field = new DateTimeDataField("at", DateTimeFormat.Impala, isNullable: false);
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(field), stream);
        using var group = writer.CreateRowGroup();
        await group.WriteAsync<DateTime>(field, values.AsMemory());
        return path;
    }

    private async Task<(string Csv, ConversionResult Result)> ToCsv(string parquet)
    {
        var csv = Path.Combine(_dir, "out.csv");
        var result = await FileConverter.ConvertAsync(parquet, new FileFormatOptions { Format = DataFormat.Parquet, BatchRows = 1000 }, csv,
            new FileFormatOptions { Format = DataFormat.Csv }, csv + ".rejects.csv", null, CancellationToken.None);
        return (csv, result);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
