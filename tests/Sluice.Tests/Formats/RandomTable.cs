using System.Globalization;
using System.Text;
using Sluice.Pipelines;

namespace Sluice.Tests.Formats;

/// <summary>A seeded random table of every supported type, written as CSV text with the dialect's rules.</summary>
internal static class RandomTable
{
    public static readonly ColumnDefinition[] Columns =
    [
        new("id", ColumnType.BigInt),
        new("small", new ColumnType(ColumnKind.SmallInt)),
        new("count", new ColumnType(ColumnKind.Int)),
        new("amount", new ColumnType(ColumnKind.Numeric, Precision: 14, Scale: 2)),
        new("wide", new ColumnType(ColumnKind.Numeric, Precision: 28, Scale: 10)),
        new("huge", new ColumnType(ColumnKind.Numeric, Precision: 38, Scale: 10)),
        new("whole", new ColumnType(ColumnKind.Numeric, Precision: 38, Scale: 0)),
        new("tiny", new ColumnType(ColumnKind.Numeric, Precision: 29, Scale: 29)),
        new("ratio", new ColumnType(ColumnKind.Double)),
        new("flag", new ColumnType(ColumnKind.Boolean)),
        new("day", new ColumnType(ColumnKind.Date)),
        new("at", new ColumnType(ColumnKind.Timestamp)),
        new("at_tz", new ColumnType(ColumnKind.TimestampTz)),
        new("key", new ColumnType(ColumnKind.Uuid)),
        new("note", ColumnType.Text),
        new("doc", new ColumnType(ColumnKind.Json)),
    ];

    private static readonly string[] Texts =
        ["plain", "", "comma, inside", "quote \" inside", "\"quoted\"", "line\nbreak", "crlf\r\nbreak", "ünïcødé €", "emoji 🎉 ok", " padded ", "tab\there", "NULL", "日本語"];

    private static readonly string[] Documents =
    [
        "{\"a\": 1}", "[1, 2.50, \"x\", null]", "\"just a string\"", "null", "12.50", "-0", "true", "{}", "[]",
        "{\"nested\": {\"deep\": [true, false, null, {\"k\": \"ünï €\"}]}}", "  { \"spaced\" : [ 1 , 2 ] }  ",
        "\"escaped \\\" quote and \\n newline \\u00e9\"", "{\"big\": 123456789012345678901234567890.123456789}",
        "{\n  \"multi\": \"line\"\n}",
    ];

    /// <summary>The CSV text of <paramref name="rows"/> random rows (header first).</summary>
    public static string Csv(int seed, int rows)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder(string.Join(",", Columns.Select(c => c.Name))).Append('\n');
        for (var r = 0; r < rows; r++)
        {
            var fields = new List<string> { (r + 1).ToString(CultureInfo.InvariantCulture) };
            fields.Add(Maybe(rng, () => rng.Next(short.MinValue, short.MaxValue + 1).ToString(CultureInfo.InvariantCulture)));
            fields.Add(Maybe(rng, () => (rng.Next(4) == 0 ? int.MaxValue - rng.Next(3) : rng.Next()).ToString(CultureInfo.InvariantCulture)));
            fields.Add(Maybe(rng, () => Decimal(rng, 12, 2)));
            fields.Add(Maybe(rng, () => Decimal(rng, 18, 10)));
            fields.Add(Maybe(rng, () => WideDecimal(rng, 28, 10)));
            fields.Add(Maybe(rng, () => WideDecimal(rng, 38, 0)));
            fields.Add(Maybe(rng, () => WideDecimal(rng, 0, 29)));
            fields.Add(Maybe(rng, () => (rng.NextDouble() * Math.Pow(10, rng.Next(-20, 20))).ToString("R", CultureInfo.InvariantCulture)));
            fields.Add(Maybe(rng, () => rng.Next(2) == 0 ? "true" : "false"));
            fields.Add(Maybe(rng, () => Day(rng).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
            fields.Add(Maybe(rng, () => Stamp(rng).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)));
            fields.Add(Maybe(rng, () => Stamp(rng).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + (rng.Next(2) == 0 ? "Z" : "+05:30")));
            fields.Add(Maybe(rng, () => new Guid(Enumerable.Range(0, 16).Select(_ => (byte)rng.Next(256)).ToArray()).ToString()));
            var text = rng.Next(8) == 0 ? null : Texts[rng.Next(Texts.Length)] + (rng.Next(3) == 0 ? rng.Next().ToString(CultureInfo.InvariantCulture) : "");
            fields.Add(text is null ? "" : Quoted(text));
            fields.Add(Maybe(rng, () => Quoted(Documents[rng.Next(Documents.Length)])));
            sb.Append(string.Join(",", fields)).Append('\n');
        }
        return sb.ToString();
    }

    private static string Quoted(string text) => "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// A numeric wider than <see cref="decimal"/>: random digits of any length, or an extreme (all nines, the smallest
    /// step, a one followed by zeros), always written with the full scale, as Sluice writes it.
    /// </summary>
    internal static string WideDecimal(Random rng, int integerDigits, int scale)
    {
        var (intPart, fraction) = rng.Next(8) switch
        {
            0 => (new string('9', Math.Max(integerDigits, 1)), new string('9', scale)),
            1 => ("0", new string('0', Math.Max(scale - 1, 0)) + (scale > 0 ? "1" : "")),
            2 => (integerDigits > 0 ? "1" + new string('0', integerDigits - 1) : "0", new string('0', scale)),
            _ => (Digits(rng, rng.Next(0, integerDigits + 1)), Digits(rng, scale, trimLeading: false)),
        };
        if (integerDigits == 0) intPart = "0";
        return (rng.Next(3) == 0 ? "-" : "") + intPart + (scale > 0 ? "." + fraction : "");
    }

    private static string Digits(Random rng, int count, bool trimLeading = true)
    {
        var digits = string.Concat(Enumerable.Range(0, count).Select(_ => (char)('0' + rng.Next(10))));
        if (!trimLeading) return digits;
        digits = digits.TrimStart('0');
        return digits.Length == 0 ? "0" : digits;
    }

    private static string Maybe(Random rng, Func<string> value) => rng.Next(10) == 0 ? "" : value();

    private static string Decimal(Random rng, int integerDigits, int scale)
    {
        var extreme = rng.Next(10) == 0;
        var intPart = extreme ? new string('9', integerDigits) : rng.NextInt64(0, (long)Math.Pow(10, Math.Min(integerDigits, 15))).ToString(CultureInfo.InvariantCulture);
        var fraction = extreme ? new string('9', scale) : string.Concat(Enumerable.Range(0, scale).Select(_ => (char)('0' + rng.Next(10))));
        return (rng.Next(3) == 0 ? "-" : "") + intPart + "." + fraction;
    }

    private static DateOnly Day(Random rng) => rng.Next(10) switch
    {
        0 => new DateOnly(1, 1, 1),
        1 => new DateOnly(9999, 12, 31),
        _ => new DateOnly(1970, 1, 1).AddDays(rng.Next(0, 40_000)),
    };

    private static DateTime Stamp(Random rng) => rng.Next(10) switch
    {
        0 => new DateTime(1900, 1, 1, 0, 0, 0).AddTicks(10),
        1 => new DateTime(9999, 12, 30, 23, 59, 59).AddTicks(9_999_990),
        _ => new DateTime(2000, 1, 1).AddSeconds(rng.NextInt64(-1_000_000_000, 1_000_000_000)).AddTicks(rng.Next(0, 1_000_000) * 10L),
    };
}
