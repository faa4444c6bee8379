using Sluice.Pipelines;

namespace Sluice.Tests.Pipelines;

/// <summary>Values written as a pipeline's schema says (<see cref="ValueFormat"/>): turned into canonical text exactly, or
/// rejected saying how they were expected; and the pipeline keys that declare them.</summary>
public sealed class ValueFormatTests
{
    private static string Canonical(ValueFormat format, ColumnKind kind, string text)
    {
        var buffer = new char[ValueFormat.Room(text)];
        var why = format.Canonical(text, kind, buffer, out var length);
        return why ?? new string(buffer, 0, length);
    }

    [Theory]
    [InlineData(',', '.', "1.234.567,89", "1234567.89")]
    [InlineData(',', '.', "-1.234,5", "-1234.5")]
    [InlineData(',', '.', "999,00", "999.00")]
    [InlineData(',', null, "18071,13", "18071.13")]
    [InlineData('.', ',', "1,234,567.89", "1234567.89")]
    [InlineData('.', '\'', "1'234.05", "1234.05")]
    [InlineData(',', ' ', "12 345,6", "12345.6")]
    [InlineData(',', '.', "0,1e3", "0.1e3")]
    public void Numbers_with_other_separators_become_canonical_digit_for_digit(char point, char? group, string text, string canonical) =>
        Assert.Equal(canonical, Canonical(new ValueFormat(Decimal: point, Group: group), ColumnKind.Numeric, text));

    [Theory]
    [InlineData("1.23,4")]       // a group of two
    [InlineData("1234.567,8")]   // four digits before a separator
    [InlineData("1.2345")]       // a group of four at the end
    [InlineData(".123,5")]       // no digit before the first separator
    [InlineData("1,5,6")]        // a second decimal separator
    [InlineData("12,3.4")]       // a group separator among the decimals
    public void Numbers_that_do_not_fit_their_separators_are_rejected_not_guessed(string text) =>
        Assert.Equal($"'{text}' is not a number written with ',' before the decimals and '.' between thousands",
            Canonical(new ValueFormat(Decimal: ',', Group: '.'), ColumnKind.Numeric, text));

    [Fact]
    public void A_point_where_a_comma_is_the_decimal_separator_is_rejected_since_1_5_would_read_as_15_or_1_5() =>
        Assert.Equal("'1.5' is not a number written with ',' before the decimals",
            Canonical(new ValueFormat(Decimal: ','), ColumnKind.Double, "1.5"));

    [Theory]
    [InlineData(ColumnKind.Date, "dd.MM.yyyy", "29.02.2024", "2024-02-29")]
    [InlineData(ColumnKind.Date, "MM/dd/yyyy", "12/31/1999", "1999-12-31")]
    [InlineData(ColumnKind.Date, "yyyyMMdd", "20261129", "2026-11-29")]
    [InlineData(ColumnKind.Timestamp, "dd/MM/yyyy HH:mm", "01/03/2024 07:05", "2024-03-01 07:05:00.000000")]
    [InlineData(ColumnKind.Timestamp, "dd.MM.yyyy HH:mm:ss.ffffff", "01.03.2024 07:05:09.123456", "2024-03-01 07:05:09.123456")]
    [InlineData(ColumnKind.TimestampTz, "dd.MM.yyyy HH:mm zzz", "01.03.2024 12:00 +02:00", "2024-03-01 12:00:00.000000+02:00")]
    [InlineData(ColumnKind.TimestampTz, "yyyy-MM-dd'T'HH:mm", "2024-03-01T12:00", "2024-03-01 12:00:00.000000")]
    public void Dates_and_times_in_a_pattern_become_iso(ColumnKind kind, string pattern, string text, string canonical) =>
        Assert.Equal(canonical, Canonical(new ValueFormat(pattern), kind, text));

    [Theory]
    [InlineData(ColumnKind.Date, "dd.MM.yyyy", "31.02.2024", "'31.02.2024' is not a date written as dd.MM.yyyy")]
    [InlineData(ColumnKind.Date, "dd.MM.yyyy", "2024-02-01", "'2024-02-01' is not a date written as dd.MM.yyyy")]
    [InlineData(ColumnKind.Date, "dd.MM.yyyy", "1.2.2024", "'1.2.2024' is not a date written as dd.MM.yyyy")]
    [InlineData(ColumnKind.Timestamp, "dd.MM.yyyy HH:mm", "01.02.2024", "'01.02.2024' is not a timestamp written as dd.MM.yyyy HH:mm")]
    public void Dates_that_do_not_fit_the_pattern_are_rejected_naming_it(ColumnKind kind, string pattern, string text, string why) =>
        Assert.Equal(why, Canonical(new ValueFormat(pattern), kind, text));

    [Fact]
    public void Seven_fractional_digits_are_refused_rather_than_rounded() =>
        Assert.Equal("'01.03.2024 07:05:09.1234567' has more than 6 fractional second digits; PostgreSQL keeps microseconds",
            Canonical(new ValueFormat("dd.MM.yyyy HH:mm:ss.fffffff"), ColumnKind.Timestamp, "01.03.2024 07:05:09.1234567"));

    [Fact]
    public void The_schema_takes_a_mapping_with_type_format_decimal_and_group()
    {
        var p = PipelineLoader.Parse("""
            name: eu
            on: { bucket: inbox, match: "eu/*.csv" }
            source: { delimiter: ";" }
            schema:
              id: bigint not null
              booked_on: { type: date, format: dd.MM.yyyy }
              amount: { type: "numeric(14,2) not null", decimal: ",", group: "." }
              rate: { type: double precision, decimal: "," }
              count: { type: int, group: space }
              note: { type: text }
            target: { table: eu }
            """, "pipelines/eu.yaml");

        Assert.Equal(
            [
                new ColumnDefinition("id", ColumnType.BigInt, Nullable: false),
                new ColumnDefinition("booked_on", new ColumnType(ColumnKind.Date), Format: new ValueFormat("dd.MM.yyyy")),
                new ColumnDefinition("amount", new ColumnType(ColumnKind.Numeric, Precision: 14, Scale: 2), Nullable: false, new ValueFormat(Decimal: ',', Group: '.')),
                new ColumnDefinition("rate", new ColumnType(ColumnKind.Double), Format: new ValueFormat(Decimal: ',')),
                new ColumnDefinition("count", new ColumnType(ColumnKind.Int), Format: new ValueFormat(Group: ' ')),
                new ColumnDefinition("note", ColumnType.Text),
            ],
            p.Schema!);
    }

    [Theory]
    [InlineData("{ type: text, format: dd.MM.yyyy }", "schema.c.format", "format applies to date, timestamp and timestamptz columns, not text")]
    [InlineData("{ type: int, decimal: \",\" }", "schema.c.decimal", "decimal applies to numeric, real and double precision columns, not integer")]
    [InlineData("{ type: numeric, decimal: \",\", group: \",\" }", "schema.c.group", "group and decimal are both ','; they must differ")]
    [InlineData("{ type: numeric, decimal: \",,\" }", "schema.c.decimal", "',,' is not a single character (write a space as space)")]
    [InlineData("{ type: date, format: MM.yyyy }", "schema.c.format", "'MM.yyyy' needs a year (yyyy), a month (MM) and a day (dd)")]
    [InlineData("{ type: date, format: dd.MM.yyyy HH:mm }", "schema.c.format", "'dd.MM.yyyy HH:mm' reads a time of day, which a date does not keep: declare the column timestamp")]
    [InlineData("{ type: timestamp, format: dd.MM.yyyy HH:mm zzz }", "schema.c.format", "'dd.MM.yyyy HH:mm zzz' reads a time zone, which timestamp does not keep: declare the column timestamptz")]
    [InlineData("{ type: date, formt: dd.MM.yyyy }", "schema.c.formt", null)]
    [InlineData("{ format: dd.MM.yyyy }", "schema.c.type", null)]
    [InlineData("{ type: dat }", "schema.c.type", null)]
    public void A_column_format_that_cannot_work_is_an_error_naming_its_key_and_line(string column, string key, string? message)
    {
        var error = Assert.Single(Assert.Throws<PipelineException>(() => PipelineLoader.Parse($$"""
            name: eu
            on: { bucket: inbox, match: "eu/*.csv" }
            schema:
              c: {{column}}
            target: { table: eu }
            """, "pipelines/eu.yaml")).Errors);

        Assert.Equal((key, 4), (error.Key, error.Line));
        if (message is not null) Assert.Equal(message, error.Message);
    }
}
