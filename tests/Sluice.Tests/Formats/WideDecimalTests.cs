using Sluice.Formats;
using Sluice.Formats.Csv;
using Sluice.Pipelines;
using Sluice.Stages.Conversion;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Formats;

public sealed class WideDecimalTests : IDisposable
{
    private static readonly ColumnDefinition[] Schema =
    [
        new("id", ColumnType.BigInt),
        new("huge", Numeric(38, 10)),
        new("whole", Numeric(38, 0)),
        new("fraction", Numeric(38, 38)),
        new("medium", Numeric(29, 2)),
    ];

    // Canonical text (every place of the scale written), so the round trip can be compared byte for byte.
    private const string Canonical = """
        id,huge,whole,fraction,medium
        1,9999999999999999999999999999.9999999999,99999999999999999999999999999999999999,0.99999999999999999999999999999999999999,999999999999999999999999999.99
        2,-9999999999999999999999999999.9999999999,-99999999999999999999999999999999999999,-0.99999999999999999999999999999999999999,-999999999999999999999999999.99
        3,0.0000000001,1,0.00000000000000000000000000000000000001,0.01
        4,-0.0000000001,-1,-0.00000000000000000000000000000000000001,-0.01
        5,0.0000000000,0,0.00000000000000000000000000000000000000,0.00
        6,1234567890123456789012345678.0123456789,17014118346046923173168730371588410572,0.12345678901234567890123456789012345678,18071.13
        7,,,,

        """;

    private readonly ScratchFiles _files = new(Schema);

    [Theory]
    [InlineData(DataFormat.Parquet)]
    [InlineData(DataFormat.JsonLines)]
    public async Task Extreme_38_digit_decimals_go_from_csv_through_another_format_and_back_byte_for_byte(DataFormat via)
    {
        var csv = _files.Write("in.csv", Canonical);
        var middle = _files.Path("middle" + DataFormatNames.Extension(via));
        var back = _files.Path("back.csv");

        await _files.ConvertAsync(csv, DataFormat.Csv, middle, via);
        await _files.ConvertAsync(middle, via, back, DataFormat.Csv);

        Assert.Equal(Canonical, await File.ReadAllTextAsync(back));
    }

    [Fact]
    public async Task DuckDB_reads_Sluice_parquet_as_DECIMAL_38_with_the_exact_values()
    {
        var parquet = _files.Path("wide.parquet");
        await _files.ConvertAsync(_files.Write("in.csv", Canonical), DataFormat.Csv, parquet, DataFormat.Parquet);

        Assert.Equal(["id BIGINT", "huge DECIMAL(38,10)", "whole DECIMAL(38,0)", "fraction DECIMAL(38,38)", "medium DECIMAL(29,2)"],
            await DuckDb.QueryAsync($"SELECT column_name || ' ' || column_type FROM (DESCRIBE SELECT * FROM read_parquet('{parquet}'))"));
        // DuckDB prints DECIMAL(38,38) without the zero before the point (.5); the digits are what is compared.
        var rows = await DuckDb.QueryAsync($"""
            SELECT concat_ws(',', id, coalesce(huge::VARCHAR, ''), coalesce(whole::VARCHAR, ''),
                             coalesce(regexp_replace(fraction::VARCHAR, '^(-?)\.', '\10.'), ''), coalesce(medium::VARCHAR, ''))
            FROM read_parquet('{parquet}') ORDER BY id
            """);
        Assert.Equal(Canonical.Split('\n')[1..^1], rows);
    }

    [Fact]
    public async Task Sluice_reads_DuckDB_DECIMAL_38_parquet_exactly()
    {
        var parquet = _files.Path("duck.parquet");
        await DuckDb.QueryAsync($"""
            COPY (SELECT * FROM (VALUES
                    (1, '99999999999999999999999999999.999999999'::DECIMAL(38,9), '-1234567890123456789012345678901234567.8'::DECIMAL(38,1)),
                    (2, '-0.000000001'::DECIMAL(38,9), NULL),
                    (3, '17014118346046923173168730371.588410572'::DECIMAL(38,9), '9999999999999999999999999999999999999.9'::DECIMAL(38,1)))
                  t(id, big, other))
            TO '{parquet}' (FORMAT parquet)
            """);
        var csv = _files.Path("duck.csv");

        var result = await FileConverter.ConvertAsync(parquet, new FileFormatOptions { Format = DataFormat.Parquet }, csv,
            new FileFormatOptions { Format = DataFormat.Csv }, csv + ".rejects.csv", null, CancellationToken.None);

        Assert.Equal(["id integer", "big numeric(38,9)", "other numeric(38,1)"], result.Columns.Select(c => $"{c.Name} {c.Type.ToSql()}"));
        Assert.Equal("""
            id,big,other
            1,99999999999999999999999999999.999999999,-1234567890123456789012345678901234567.8
            2,-0.000000001,
            3,17014118346046923173168730371.588410572,9999999999999999999999999999999999999.9

            """, await File.ReadAllTextAsync(csv));
    }

    [Theory]
    [InlineData("1.00000000001", "'1.00000000001' has 11 decimal places; numeric(38,10) allows 10")]
    [InlineData("12345678901234567890123456789", "'12345678901234567890123456789' has 29 integer digits; numeric(38,10) allows 28")]
    [InlineData("1e28", "'1e28' has 29 integer digits; numeric(38,10) allows 28")]
    [InlineData("1.5.0", "'1.5.0' is not a valid numeric(38,10)")]
    [InlineData("1 000", "'1 000' is not a valid numeric(38,10)")]
    [InlineData("NaN", "'NaN' is not a valid numeric(38,10)")]
    public async Task A_value_that_does_not_fit_numeric_38_is_rejected_with_the_reason_never_rounded(string value, string reason)
    {
        var rejects = new List<RejectedRow>();
        await ReadHuge(value, rejects);
        Assert.Equal(reason, Assert.Single(rejects).Reason);
    }

    [Theory]
    [InlineData("1.5e3", "1500.0000000000")]
    [InlineData("25E-10", "0.0000000025")]
    [InlineData("+007.10", "7.1000000000")]
    [InlineData(".5", "0.5000000000")]
    [InlineData("-0", "0.0000000000")]
    [InlineData("2.500000000000000000000000000000000000000000000", "2.5000000000")]
    public async Task Numeric_38_text_is_read_exactly_in_every_accepted_form(string value, string canonical)
    {
        var rejects = new List<RejectedRow>();
        var batch = await ReadHuge(value, rejects);
        Assert.Empty(rejects);
        Assert.Equal(canonical, batch.Vectors[0].Show(0));
    }

    private async Task<ColumnBatch> ReadHuge(string value, List<RejectedRow> rejects)
    {
        var schema = new[] { new ColumnDefinition("huge", Numeric(38, 10)) };
        await using var reader = CsvBatchReader.Open(_files.Write($"{Guid.NewGuid():N}.csv", $"huge\n{value}\n"), CsvOptions.Default, schema);
        var batch = new ColumnBatch(schema, 4);
        await reader.ReadAsync(batch, rejects.Add, CancellationToken.None);
        return batch;
    }

    private static ColumnType Numeric(int precision, int scale) => new(ColumnKind.Numeric, Precision: precision, Scale: scale);

    public void Dispose() => _files.Dispose();
}
