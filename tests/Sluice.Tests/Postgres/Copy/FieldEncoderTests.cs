using System.Buffers.Binary;
using Sluice.Pipelines;

namespace Sluice.Tests.Postgres.Copy;

public class FieldEncoderTests
{
    private static readonly ColumnType Int = new(ColumnKind.Int);
    private static readonly ColumnType SmallInt = new(ColumnKind.SmallInt);

    [Fact]
    public void A_bigint_is_eight_big_endian_bytes() =>
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0x30, 0x39 }, EncodedField.Valid(ColumnType.BigInt, "12345"));

    [Fact]
    public void Text_that_is_not_a_number_is_rejected_as_such() =>
        Assert.Equal("'abc' is not a valid bigint", EncodedField.Rejected(ColumnType.BigInt, "abc"));

    [Theory]
    [InlineData("2147483648", "'2147483648' is out of range for integer")]
    [InlineData("99999999999999999999", "'99999999999999999999' is out of range for integer")]
    [InlineData(" 1", "' 1' is not a valid integer")]
    [InlineData("1.0", "'1.0' is not a valid integer")]
    public void Integers_are_range_checked_and_strict(string field, string reason) =>
        Assert.Equal(reason, EncodedField.Rejected(Int, field));

    [Fact]
    public void A_smallint_is_two_bytes() => Assert.Equal(new byte[] { 0xFF, 0xFE }, EncodedField.Valid(SmallInt, "-2"));

    [Fact]
    public void A_smallint_out_of_range_is_rejected() =>
        Assert.Equal("'40000' is out of range for smallint", EncodedField.Rejected(SmallInt, "40000"));

    [Theory]
    [InlineData("true", 1)]
    [InlineData("T", 1)]
    [InlineData("YES", 1)]
    [InlineData("y", 1)]
    [InlineData("On", 1)]
    [InlineData("1", 1)]
    [InlineData("false", 0)]
    [InlineData("f", 0)]
    [InlineData("No", 0)]
    [InlineData("n", 0)]
    [InlineData("OFF", 0)]
    [InlineData("0", 0)]
    public void Booleans_accept_the_postgres_spellings(string field, byte expected) =>
        Assert.Equal(new[] { expected }, EncodedField.Valid(new ColumnType(ColumnKind.Boolean), field));

    [Fact]
    public void An_unknown_boolean_is_rejected() =>
        Assert.StartsWith("'maybe' is not a valid boolean", EncodedField.Rejected(new ColumnType(ColumnKind.Boolean), "maybe"));

    [Fact]
    public void A_double_round_trips_its_invariant_text() =>
        Assert.Equal(0.1, BinaryPrimitives.ReadDoubleBigEndian(EncodedField.Valid(new ColumnType(ColumnKind.Double), "0.1")));

    [Fact]
    public void A_real_that_overflows_is_rejected_not_made_infinite() =>
        Assert.Equal("'1e39' is out of range for real", EncodedField.Rejected(new ColumnType(ColumnKind.Real), "1e39"));

    [Fact]
    public void A_date_is_days_since_2000() =>
        Assert.Equal(new byte[] { 0, 0, 0, 1 }, EncodedField.Valid(new ColumnType(ColumnKind.Date), "2000-01-02"));

    [Theory]
    [InlineData("2024-02-30")]
    [InlineData("2023-02-29")]
    [InlineData("24-01-01")]
    [InlineData("2024/01/01")]
    [InlineData("2024-1-01")]
    public void An_impossible_or_misformatted_date_is_rejected(string field) =>
        Assert.Equal($"'{field}' is not a valid date (expected YYYY-MM-DD)", EncodedField.Rejected(new ColumnType(ColumnKind.Date), field));

    [Theory]
    [InlineData("2000-01-01 00:00", 0L)]
    [InlineData("2000-01-01T00:00:01", 1_000_000L)]
    [InlineData("2000-01-01 00:00:00.5", 500_000L)]
    [InlineData("1999-12-31 23:59:59.999999", -1L)]
    public void A_timestamp_is_microseconds_since_2000(string field, long micros) =>
        Assert.Equal(micros, BinaryPrimitives.ReadInt64BigEndian(EncodedField.Valid(new ColumnType(ColumnKind.Timestamp), field)));

    [Fact]
    public void A_timestamp_with_seven_fractional_digits_is_rejected_not_rounded() =>
        Assert.StartsWith("'2024-01-01 00:00:00.1234567' has more than 6 fractional second digits",
            EncodedField.Rejected(new ColumnType(ColumnKind.Timestamp), "2024-01-01 00:00:00.1234567"));

    [Fact]
    public void A_timestamp_without_zone_type_rejects_a_zone() =>
        Assert.StartsWith("'2024-01-01 00:00Z' is not a valid timestamp", EncodedField.Rejected(new ColumnType(ColumnKind.Timestamp), "2024-01-01 00:00Z"));

    [Theory]
    [InlineData("2000-01-01 02:00+02", 0L)]
    [InlineData("2000-01-01 02:30:00+0230", 0L)]
    [InlineData("1999-12-31 22:00:00-02:00", 0L)]
    [InlineData("2000-01-01 00:00:00Z", 0L)]
    [InlineData("2000-01-01 00:00:00", 0L)]
    public void A_timestamptz_is_converted_to_utc_and_no_zone_means_utc(string field, long micros) =>
        Assert.Equal(micros, BinaryPrimitives.ReadInt64BigEndian(EncodedField.Valid(new ColumnType(ColumnKind.TimestampTz), field)));

    [Fact]
    public void A_uuid_is_sixteen_bytes_in_network_order() =>
        Assert.Equal(Convert.FromHexString("0123456789abcdef0123456789abcdef"),
            EncodedField.Valid(new ColumnType(ColumnKind.Uuid), "01234567-89ab-cdef-0123-456789abcdef"));

    [Fact]
    public void A_malformed_uuid_is_rejected() =>
        Assert.Equal("'{01234567-89ab-cdef-0123-456789abcdef}' is not a valid uuid",
            EncodedField.Rejected(new ColumnType(ColumnKind.Uuid), "{01234567-89ab-cdef-0123-456789abcdef}"));

    [Theory]
    [InlineData(ColumnKind.Real, "1e-50")]
    [InlineData(ColumnKind.Double, "-2.5e-400")]
    public void A_float_too_close_to_zero_is_rejected_not_stored_as_zero(ColumnKind kind, string field) =>
        Assert.Equal($"'{field}' is too close to zero for {new ColumnType(kind).ToSql()} (it would be stored as 0)", EncodedField.Rejected(new ColumnType(kind), field));

    [Theory]
    [InlineData("0e-50")]
    [InlineData("-0.000")]
    public void A_zero_written_with_an_exponent_or_sign_is_zero(string field) =>
        Assert.Equal(0f, Math.Abs(BinaryPrimitives.ReadSingleBigEndian(EncodedField.Valid(new ColumnType(ColumnKind.Real), field))));

    [Fact]
    public void Jsonb_refuses_the_nul_escape_that_json_keeps_and_an_escaped_backslash_is_not_one()
    {
        Assert.StartsWith("jsonb cannot hold the \\u0000 escape", EncodedField.Rejected(new ColumnType(ColumnKind.Jsonb), "{\"a\": \"x\\u0000\"}"));
        Assert.NotEmpty(EncodedField.Valid(new ColumnType(ColumnKind.Json), "{\"a\": \"x\\u0000\"}"));
        Assert.NotEmpty(EncodedField.Valid(new ColumnType(ColumnKind.Jsonb), "{\"a\": \"x\\\\u0000\"}"));
    }

    [Fact]
    public void Jsonb_is_a_version_byte_then_the_text() =>
        Assert.Equal("\u0001{\"a\":1}"u8.ToArray(), EncodedField.Valid(new ColumnType(ColumnKind.Jsonb), "{\"a\":1}"));

    [Theory]
    [InlineData("{\"a\":")]
    [InlineData("{} {}")]
    [InlineData("{'a':1}")]
    public void Malformed_json_is_rejected(string field) =>
        Assert.Equal($"'{field}' is not valid json", EncodedField.Rejected(new ColumnType(ColumnKind.Json), field));

    [Fact]
    public void Text_is_utf8() => Assert.Equal("héllo"u8.ToArray(), EncodedField.Valid(ColumnType.Text, "héllo"));

    [Fact]
    public void Varchar_counts_code_points_not_utf16_units() =>
        Assert.Equal("🎉🎉🎉"u8.ToArray(), EncodedField.Valid(new ColumnType(ColumnKind.Varchar, Length: 3), "🎉🎉🎉"));

    [Fact]
    public void Text_longer_than_varchar_is_rejected() =>
        Assert.Equal("value is 12 characters; varchar(10) allows 10",
            EncodedField.Rejected(new ColumnType(ColumnKind.Varchar, Length: 10), "abcdefghijkl"));

    [Fact]
    public void Char_without_a_length_is_char_1() =>
        Assert.Equal("value is 2 characters; char(1) allows 1", EncodedField.Rejected(new ColumnType(ColumnKind.Char), "ab"));

    [Fact]
    public void Text_with_nul_is_rejected() =>
        Assert.Contains("NUL", EncodedField.Rejected(ColumnType.Text, "a\0b"));

    [Fact]
    public void The_empty_field_is_null_by_default() => Assert.Equal((null, null), EncodedField.Encode(ColumnType.BigInt, ""));

    [Fact]
    public void Custom_null_markers_replace_the_empty_field()
    {
        Assert.Equal((null, null), EncodedField.Encode(ColumnType.BigInt, "NULL", nullMarkers: ["NULL", "\\N"]));
        Assert.Equal(Array.Empty<byte>(), EncodedField.Encode(ColumnType.Text, "", nullMarkers: ["NULL"]).Payload);
    }

    [Fact]
    public void Null_in_a_not_null_column_is_rejected() =>
        Assert.Equal("null in not-null column 'c'", EncodedField.Rejected(ColumnType.BigInt, "", nullable: false));

    [Fact]
    public void A_long_value_is_shortened_in_the_reason() =>
        Assert.Equal($"'{new string('x', 37)}...' is not a valid bigint", EncodedField.Rejected(ColumnType.BigInt, new string('x', 100)));
}
