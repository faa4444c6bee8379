using Sluice.Pipelines;

namespace Sluice.Tests.Pipelines;

public class KeyGlobTests
{
    [Theory]
    [InlineData("payments/*.csv", "payments/2024-01-01.csv", true)]
    [InlineData("payments/*.csv", "payments/sub/2024-01-01.csv", false)]
    [InlineData("payments/*.csv", "payments/x.CSV", false)]
    [InlineData("payments/*.csv", "Payments/x.csv", false)]
    [InlineData("*.csv", ".csv", true)]
    [InlineData("a/**/b.csv", "a/b.csv", true)]
    [InlineData("a/**/b.csv", "a/x/b.csv", true)]
    [InlineData("a/**/b.csv", "a/x/y/z/b.csv", true)]
    [InlineData("a/**/b.csv", "ab.csv", false)]
    [InlineData("a/**/b.csv", "a/xb.csv", false)]
    [InlineData("**", "anything/at/all.txt", true)]
    [InlineData("**", "", true)]
    [InlineData("**/*.csv", "top.csv", true)]
    [InlineData("**/*.csv", "deep/er/x.csv", true)]
    [InlineData("**/*.csv", "deep/er/x.csvx", false)]
    [InlineData("in/**", "in/a/b", true)]
    [InlineData("in/**", "inx/a", false)]
    [InlineData("data-?.csv", "data-1.csv", true)]
    [InlineData("data-?.csv", "data-12.csv", false)]
    [InlineData("data-?.csv", "data-/.csv", false)]
    [InlineData("file[abc].csv", "fileb.csv", true)]
    [InlineData("file[abc].csv", "filed.csv", false)]
    [InlineData("day[0-9][0-9].csv", "day07.csv", true)]
    [InlineData("day[0-9][0-9].csv", "day7x.csv", false)]
    [InlineData("x[!0-9].csv", "xa.csv", true)]
    [InlineData("x[!0-9].csv", "x5.csv", false)]
    [InlineData("x[!0-9].csv", "x/.csv", false)]
    [InlineData("x[+-0].csv", "x/.csv", false)]
    [InlineData("x[+-0].csv", "x..csv", true)]
    [InlineData("x[]]", "x]", true)]
    [InlineData("report (1).csv", "report (1).csv", true)]
    [InlineData("a+b$^.csv", "a+b$^.csv", true)]
    [InlineData("a.csv", "abcsv", false)]
    [InlineData("a|b", "a", false)]
    [InlineData("*.csv", "x.csv\nother", false)]
    public void Glob_matches_keys(string pattern, string key, bool expected)
    {
        Assert.Equal(expected, new KeyGlob(pattern).IsMatch(key));
    }

    [Theory]
    [InlineData("", "pattern must not be empty; use ** to match every key")]
    [InlineData("a[bc", "'[' at position 2 has no closing ']'")]
    [InlineData("[z-a]", "class range 'z-a' at position 2 is reversed")]
    public void Malformed_patterns_are_rejected(string pattern, string message)
    {
        Assert.False(KeyGlob.TryCreate(pattern, out _, out var error));
        Assert.Equal(message, error);
        Assert.Throws<ArgumentException>(() => new KeyGlob(pattern));
    }

    [Fact]
    public void Matching_a_long_hostile_key_stays_fast()
    {
        var glob = new KeyGlob("**a**a**a**a**a**b");
        var key = new string('a', 100_000);
        Assert.False(glob.IsMatch(key));
    }
}
