using Sluice.Pipelines;

namespace Sluice.Tests.Pipelines;

public class ColumnTypeParserTests
{
    [Theory]
    [InlineData("text", ColumnKind.Text, null, null, null)]
    [InlineData("varchar(40)", ColumnKind.Varchar, 40, null, null)]
    [InlineData("character varying(40)", ColumnKind.Varchar, 40, null, null)]
    [InlineData("char(3)", ColumnKind.Char, 3, null, null)]
    [InlineData("character(3)", ColumnKind.Char, 3, null, null)]
    [InlineData("smallint", ColumnKind.SmallInt, null, null, null)]
    [InlineData("int2", ColumnKind.SmallInt, null, null, null)]
    [InlineData("int", ColumnKind.Int, null, null, null)]
    [InlineData("integer", ColumnKind.Int, null, null, null)]
    [InlineData("int4", ColumnKind.Int, null, null, null)]
    [InlineData("bigint", ColumnKind.BigInt, null, null, null)]
    [InlineData("int8", ColumnKind.BigInt, null, null, null)]
    [InlineData("numeric(14,2)", ColumnKind.Numeric, null, 14, 2)]
    [InlineData("numeric(10)", ColumnKind.Numeric, null, 10, 0)]
    [InlineData("numeric", ColumnKind.Numeric, null, null, null)]
    [InlineData("decimal(18,4)", ColumnKind.Numeric, null, 18, 4)]
    [InlineData("real", ColumnKind.Real, null, null, null)]
    [InlineData("float4", ColumnKind.Real, null, null, null)]
    [InlineData("double precision", ColumnKind.Double, null, null, null)]
    [InlineData("float8", ColumnKind.Double, null, null, null)]
    [InlineData("double", ColumnKind.Double, null, null, null)]
    [InlineData("boolean", ColumnKind.Boolean, null, null, null)]
    [InlineData("bool", ColumnKind.Boolean, null, null, null)]
    [InlineData("date", ColumnKind.Date, null, null, null)]
    [InlineData("timestamp", ColumnKind.Timestamp, null, null, null)]
    [InlineData("timestamp without time zone", ColumnKind.Timestamp, null, null, null)]
    [InlineData("timestamptz", ColumnKind.TimestampTz, null, null, null)]
    [InlineData("timestamp with time zone", ColumnKind.TimestampTz, null, null, null)]
    [InlineData("uuid", ColumnKind.Uuid, null, null, null)]
    [InlineData("json", ColumnKind.Json, null, null, null)]
    [InlineData("jsonb", ColumnKind.Jsonb, null, null, null)]
    public void Every_accepted_spelling_parses_to_its_kind(string text, ColumnKind kind, int? length, int? precision, int? scale)
    {
        Assert.Equal(new ColumnType(kind, length, precision, scale), ColumnType.Parse(text));
    }

    [Theory]
    [InlineData("  NUMERIC ( 14 , 2 ) ", "numeric(14,2)")]
    [InlineData("Timestamp   With\tTime Zone", "timestamptz")]
    [InlineData("Character  Varying(10)", "varchar(10)")]
    [InlineData("DOUBLE PRECISION", "double precision")]
    [InlineData("numeric(1000,1000)", "numeric(1000,1000)")]
    [InlineData("varchar(10485760)", "varchar(10485760)")]
    public void Parsing_is_case_insensitive_and_whitespace_tolerant(string text, string sql)
    {
        Assert.Equal(sql, ColumnType.Parse(text).ToSql());
    }

    [Theory]
    [InlineData("money", "unknown type 'money'; accepted types: text, varchar(n),")]
    [InlineData("numeric(0,0)", "precision of numeric must be a whole number from 1 to 1000, not '0'")]
    [InlineData("numeric(1001)", "precision of numeric must be a whole number from 1 to 1000, not '1001'")]
    [InlineData("numeric(4,5)", "scale of numeric(4,s) must be a whole number from 0 to 4, not '5'")]
    [InlineData("numeric(4,-1)", "scale of numeric(4,s) must be a whole number from 0 to 4, not '-1'")]
    [InlineData("varchar(0)", "length of varchar must be a whole number from 1 to 10485760, not '0'")]
    [InlineData("char(10485761)", "length of char must be a whole number from 1 to 10485760, not '10485761'")]
    [InlineData("varchar(4,2)", "varchar takes one length, as in varchar(40)")]
    [InlineData("int(4)", "type int takes no arguments")]
    [InlineData("numeric(14,2", "unknown type 'numeric(14,2'")]
    public void Invalid_types_are_rejected_with_a_reason(string text, string messageStart)
    {
        var error = Assert.Throws<FormatException>(() => ColumnType.Parse(text));
        Assert.StartsWith(messageStart, error.Message);
    }

    [Fact]
    public void Unknown_type_error_lists_every_accepted_type()
    {
        Assert.False(ColumnTypeParser.TryParse("strin", out _, out var error));
        Assert.EndsWith("timestamp with time zone, uuid, json, jsonb", error);
        Assert.Contains("double precision", error);
    }
}
