using Sluice.Pipelines;

namespace Sluice.Tests.Postgres.Copy;

public class NumericTextTests
{
    private static readonly ColumnType Money = new(ColumnKind.Numeric, Precision: 14, Scale: 2);
    private static readonly ColumnType Unconstrained = new(ColumnKind.Numeric);

    private static void AssertNumeric(ColumnType type, string text, int weight, int sign, int dscale, params short[] digits)
    {
        var actual = EncodedField.Numeric(EncodedField.Valid(type, text));
        Assert.Equal((digits.Length, weight, sign, dscale), (actual.NDigits, actual.Weight, actual.Sign, actual.DScale));
        Assert.Equal(digits, actual.Digits);
    }

    [Fact]
    public void A_money_amount_becomes_base_10000_digits_exactly() =>
        AssertNumeric(Money, "18071.13", weight: 1, sign: 0, dscale: 2, 1, 8071, 1300);

    [Fact]
    public void Zero_has_no_digits_and_keeps_the_column_scale() => AssertNumeric(Money, "0", 0, 0, 2);

    [Fact]
    public void Negative_zero_is_plain_zero() => AssertNumeric(Unconstrained, "-0.00", 0, 0, 2);

    [Fact]
    public void A_negative_value_sets_the_sign_word() => AssertNumeric(Money, "-42.5", 0, 0x4000, 2, 42, 5000);

    [Fact]
    public void A_small_fraction_has_a_negative_weight() => AssertNumeric(Unconstrained, "0.0001", -1, 0, 4, 1);

    [Fact]
    public void Trailing_zero_groups_are_stripped() => AssertNumeric(Unconstrained, "10000", 1, 0, 0, 1);

    [Fact]
    public void Unconstrained_numeric_keeps_the_written_scale() => AssertNumeric(Unconstrained, "+001.50", 0, 0, 2, 1, 5000);

    [Fact]
    public void Exponent_notation_is_converted_exactly() => AssertNumeric(Unconstrained, "1.5e3", 0, 0, 0, 1500);

    [Fact]
    public void A_negative_exponent_widens_the_scale() => AssertNumeric(Unconstrained, "12.5E-3", -1, 0, 4, 125);

    [Fact]
    public void Numeric_38_10_beyond_decimal_range_is_exact() =>
        AssertNumeric(new ColumnType(ColumnKind.Numeric, Precision: 38, Scale: 10), "1234567890123456789012345678.0123456789",
            6, 0, 10, 1234, 5678, 9012, 3456, 7890, 1234, 5678, 123, 4567, 8900);

    [Fact]
    public void A_hundred_digit_unconstrained_numeric_is_exact()
    {
        var text = string.Concat(Enumerable.Repeat("1234567890", 10));
        var actual = EncodedField.Numeric(EncodedField.Valid(Unconstrained, text));
        Assert.Equal((25, 24, 0, 0), (actual.NDigits, actual.Weight, actual.Sign, actual.DScale));
        Assert.Equal(string.Concat(actual.Digits.Select(d => d.ToString("D4"))), text);
    }

    [Fact]
    public void NaN_is_allowed_only_in_unconstrained_numeric()
    {
        AssertNumeric(Unconstrained, "NaN", 0, 0xC000, 0);
        Assert.Contains("NaN", EncodedField.Rejected(Money, "NaN"));
    }

    [Fact]
    public void Extra_decimal_places_are_rejected_not_rounded() =>
        Assert.Equal("'12.345' has 3 decimal places; numeric(14,2) allows 2", EncodedField.Rejected(Money, "12.345"));

    [Fact]
    public void Extra_decimal_places_that_are_zeros_are_accepted() => AssertNumeric(Money, "12.3400", 0, 0, 2, 12, 3400);

    [Fact]
    public void Too_many_integer_digits_are_rejected() =>
        Assert.Equal("'1234567890123' has 13 integer digits; numeric(14,2) allows 12", EncodedField.Rejected(Money, "1234567890123"));

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("1.2.3")]
    [InlineData(" 12.5")]
    [InlineData("12.5 ")]
    [InlineData("1e")]
    [InlineData("1,000.00")]
    [InlineData("--1")]
    public void Malformed_numbers_are_rejected(string text) =>
        Assert.Equal($"'{text}' is not a valid numeric(14,2)", EncodedField.Encode(Money, text, nullMarkers: ["NULL"]).Reason);
}
