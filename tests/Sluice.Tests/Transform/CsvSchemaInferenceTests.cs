using Sluice.Formats.Csv;
using Sluice.Pipelines;

namespace Sluice.Tests.Transform;

public sealed class CsvSchemaInferenceTests : IDisposable
{
    private readonly TransformFiles _files = new();

    [Fact]
    public void Each_column_gets_the_narrowest_type_that_fits_the_sample()
    {
        _files.WriteSource(
            "flag,n,amount,day,at,atz,id,word,empty\n" +
            "true,1,18071.13,2024-01-01,2024-01-01 10:00,2024-01-01 10:00Z,0123456789abcdef0123456789abcdef,x,\n" +
            "no,-20,-5,2024-02-29,2024-01-01T10:00:01.5,2024-01-01 10:00,01234567-89ab-cdef-0123-456789abcdef,1,\n" +
            ",,0.12345,,,,,,\n");

        var columns = CsvSchemaInference.Infer(_files.Source, CsvOptions.Default);

        Assert.Equal(
            ["boolean", "bigint", "numeric(18,5)", "date", "timestamp", "timestamptz", "uuid", "text", "text"],
            columns.Select(c => c.Type.ToSql()));
        Assert.All(columns, c => Assert.True(c.Nullable));
    }

    [Fact]
    public void Wide_decimals_widen_the_precision_past_18()
    {
        _files.WriteSource("v\n12345678901234567890.1234\n");

        Assert.Equal("numeric(24,4)", CsvSchemaInference.Infer(_files.Source, CsvOptions.Default)[0].Type.ToSql());
    }

    [Fact]
    public void Digits_with_leading_zeros_are_codes_kept_as_text_while_zero_itself_and_zero_point_five_stay_numbers()
    {
        _files.WriteSource("zip,account,n,ratio\n00501,-0012,0,0.5\n02134,7,10,-0.25\n");

        var columns = CsvSchemaInference.Infer(_files.Source, CsvOptions.Default);

        Assert.Equal(["text", "text", "bigint", "numeric(18,2)"], columns.Select(c => c.Type.ToSql()));
    }

    [Fact]
    public void Zero_and_one_are_numbers_not_booleans()
    {
        _files.WriteSource("v\n0\n1\n");

        Assert.Equal(ColumnType.BigInt, CsvSchemaInference.Infer(_files.Source, CsvOptions.Default)[0].Type);
    }

    [Fact]
    public void Only_the_sample_rows_decide()
    {
        _files.WriteSource("v\n1\n2\nthree\n");

        Assert.Equal(ColumnType.BigInt, CsvSchemaInference.Infer(_files.Source, CsvOptions.Default with { SampleRows = 2 })[0].Type);
    }

    [Fact]
    public void Without_a_header_columns_are_numbered()
    {
        _files.WriteSource("1,a\n");

        Assert.Equal(["column_1", "column_2"], CsvSchemaInference.Infer(_files.Source, CsvOptions.Default with { Header = false }).Select(c => c.Name));
    }

    public void Dispose() => _files.Dispose();
}
