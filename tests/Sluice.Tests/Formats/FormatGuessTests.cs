using Sluice.Formats;

namespace Sluice.Tests.Formats;

public sealed class FormatGuessTests
{
    [Theory]
    [InlineData(new[] { "02.12.2026", "31.01.2025" }, new[] { "{ type: date, format: \"dd.MM.yyyy\" }" })]
    [InlineData(new[] { "2.12.2026", "31.1.2025" }, new[] { "{ type: date, format: \"d.M.yyyy\" }" })]
    [InlineData(new[] { "13/02/2026", "01/12/2025" }, new[] { "{ type: date, format: \"dd/MM/yyyy\" }" })]
    [InlineData(new[] { "02/13/2026" }, new[] { "{ type: date, format: \"MM/dd/yyyy\" }" })]
    [InlineData(new[] { "02/03/2026" }, new[] { "{ type: date, format: \"dd/MM/yyyy\" }", "{ type: date, format: \"MM/dd/yyyy\" }" })]
    [InlineData(new[] { "02.12.2026 09:30" }, new[] { "{ type: timestamp, format: \"dd.MM.yyyy HH:mm\" }" })]
    [InlineData(new[] { "02.12.2026 09:30:01.5", "02.12.2026 09:30:01.123456" }, new[] { "{ type: timestamp, format: \"dd.MM.yyyy HH:mm:ss.FFFFFF\" }" })]
    [InlineData(new[] { "1.234.567,89", "12,5", "-3,00" }, new[] { "{ type: \"numeric(18,2)\", decimal: \",\", group: \".\" }" })]
    [InlineData(new[] { "18071,13", "0,1" }, new[] { "{ type: \"numeric(18,2)\", decimal: \",\" }" })]
    [InlineData(new[] { "1,234,567.891", "12.5" }, new[] { "{ type: \"numeric(18,3)\", decimal: \".\", group: \",\" }" })]
    [InlineData(new[] { "12 345,6" }, new[] { "{ type: \"numeric(18,1)\", decimal: \",\", group: space }" })]
    public void Text_whose_every_value_fits_a_common_format_gets_the_schema_entry_that_reads_it(string[] values, string[] expected) =>
        Assert.Equal(expected, FormatGuess.For(values));

    [Theory]
    [InlineData("02.12.2026", "soon")]
    [InlineData("1,5", "1.5")]
    [InlineData("EUR", "USD")]
    [InlineData("1.234,5", "1,234.5")]
    public void Text_that_does_not_all_fit_one_format_gets_none(params string[] values) =>
        Assert.Empty(FormatGuess.For(values));
}
