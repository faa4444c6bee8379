using System.Globalization;

namespace Sluice.Pipelines;

/// <summary>
/// How a column's values are written in the files a pipeline reads, when not in the canonical form every reader
/// understands (ISO 8601 dates and times, a point before the decimals, no separators between thousands): a date or
/// time pattern (<c>dd.MM.yyyy</c>), and a number's decimal and thousands separators (<c>1.234,56</c>). Each value is
/// turned into its canonical text exactly (characters moved, never a number through floating point) and then read as
/// any other; a value that does not fit the format is rejected, never guessed. Only text is formatted: a JSON number
/// or a Parquet date already has its type.
/// </summary>
/// <param name="Pattern">A .NET custom date and time format (<c>dd/MM/yyyy HH:mm</c>), for date, timestamp and timestamptz.</param>
/// <param name="Decimal">The decimal separator (numeric, real, double precision).</param>
/// <param name="Group">The thousands separator (any number type): groups of three digits before the decimals.</param>
public sealed record ValueFormat(string? Pattern = null, char? Decimal = null, char? Group = null)
{
    /// <summary>The longest canonical text of a date or time: <c>yyyy-MM-dd HH:mm:ss.ffffff+HH:mm</c>.</summary>
    private const int TemporalLength = 32;

    private static readonly DateTime Sample = new(1999, 11, 29, 13, 45, 56, 123, 456);

    /// <summary>Whether the pattern reads an offset (<c>zzz</c>, <c>K</c>): worked out once, when the format is made, not
    /// for every value (a pure function of <see cref="Pattern"/>, so equal formats stay equal).</summary>
    private bool Zoned { get; } = Pattern is { } p && Unquoted(p).AsSpan().IndexOfAny('z', 'K') >= 0;

    /// <summary>Why the format does not fit a column of <paramref name="type"/>, and the key at fault (format, decimal
    /// or group), for the pipeline reader; null when it fits.</summary>
    public static (string Key, string Message)? Check(ValueFormat format, ColumnType type)
    {
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(type);
        var temporal = type.Kind is ColumnKind.Date or ColumnKind.Timestamp or ColumnKind.TimestampTz;
        var number = type.Kind is ColumnKind.Numeric or ColumnKind.Real or ColumnKind.Double;
        var integer = type.Kind is ColumnKind.SmallInt or ColumnKind.Int or ColumnKind.BigInt;
        if (format.Pattern is not null && !temporal)
            return ("format", $"format applies to date, timestamp and timestamptz columns, not {type.ToSql()}");
        if (format.Decimal is not null && !number)
            return ("decimal", $"decimal applies to numeric, real and double precision columns, not {type.ToSql()}");
        if (format.Group is not null && !number && !integer)
            return ("group", $"group applies to number columns, not {type.ToSql()}");
        if (format.Decimal is { } d && (char.IsAsciiDigit(d) || d is '+' or '-' || char.IsLetter(d)))
            return ("decimal", $"decimal {MessageText.Quote(d.ToString())} cannot separate decimals: use \".\" or \",\"");
        if (format.Group is { } g && (char.IsAsciiDigit(g) || g is '+' or '-' || char.IsLetter(g)))
            return ("group", $"group {MessageText.Quote(g.ToString())} cannot separate thousands: use \".\", \",\", \"'\", \"_\" or space");
        if (format.Group is { } same && same == (format.Decimal ?? '.'))
            return ("group", $"group and decimal are both {MessageText.Quote(same.ToString())}; they must differ");
        return format.Pattern is { } pattern && CheckPattern(pattern, type) is { } wrong ? ("format", wrong) : null;
    }

    private static string? CheckPattern(string pattern, ColumnType type)
    {
        var fields = Unquoted(pattern);
        var wanted = type.Kind == ColumnKind.Date ? "yMd" : "yMdHh";
        if (!fields.Contains('y') || !fields.Contains('M') || !fields.Contains('d') || (type.Kind != ColumnKind.Date && !fields.Contains('H') && !fields.Contains('h')))
            return $"{MessageText.Quote(pattern)} needs a year (yyyy), a month (MM) and a day (dd){(wanted.Length > 3 ? " and an hour (HH)" : "")}";
        if (type.Kind != ColumnKind.TimestampTz && (fields.Contains('z') || fields.Contains('K')))
            return $"{MessageText.Quote(pattern)} reads a time zone, which {type.ToSql()} does not keep: declare the column timestamptz";
        if (type.Kind == ColumnKind.Date && (fields.IndexOfAny("HhmsfFtz".ToCharArray()) >= 0))
            return $"{MessageText.Quote(pattern)} reads a time of day, which a date does not keep: declare the column timestamp";
        try
        {
            var text = Sample.ToString(pattern, CultureInfo.InvariantCulture);
            if (DateTime.TryParseExact(text, pattern, CultureInfo.InvariantCulture, DateTimeStyles.None, out _)) return null;
        }
        catch (FormatException)
        {
        }
        return $"{MessageText.Quote(pattern)} is not a date and time format Sluice can read back, such as dd.MM.yyyy or dd/MM/yyyy HH:mm:ss";
    }

    /// <summary>The pattern's field letters, without its quoted literals (<c>'T'</c>) and escaped characters.</summary>
    private static string Unquoted(string pattern)
    {
        var letters = new System.Text.StringBuilder();
        char? quote = null;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (quote is { } q) { if (c == q) quote = null; continue; }
            if (c is '\'' or '"') { quote = c; continue; }
            if (c == '\\') { i++; continue; }
            letters.Append(c);
        }
        return letters.ToString();
    }

    /// <summary>Room the canonical text of <paramref name="text"/> needs.</summary>
    public static int Room(ReadOnlySpan<char> text) => Math.Max(TemporalLength, text.Length);

    /// <summary><see cref="Canonical(ReadOnlySpan{char}, ColumnKind, Span{char}, out int)"/> into a reader's own scratch
    /// buffer, grown when a value needs more room: the canonical text, or why the value does not fit.</summary>
    public string? Canonical(ReadOnlySpan<char> text, ColumnKind kind, ref char[] scratch, out ReadOnlySpan<char> canonical)
    {
        if (scratch.Length < Room(text)) scratch = new char[Room(text) * 2];
        var why = Canonical(text, kind, scratch, out var length);
        canonical = scratch.AsSpan(0, length);
        return why;
    }

    /// <summary>
    /// Writes the canonical text of <paramref name="text"/> (a value of a column of <paramref name="kind"/>) into
    /// <paramref name="canonical"/> (of at least <see cref="Room"/> characters); returns why the text does not fit the
    /// format, or null.
    /// </summary>
    public string? Canonical(ReadOnlySpan<char> text, ColumnKind kind, Span<char> canonical, out int length)
    {
        length = 0;
        return kind switch
        {
            ColumnKind.Date => Date(text, canonical, out length),
            ColumnKind.Timestamp or ColumnKind.TimestampTz when Pattern is not null => Timestamp(text, kind, canonical, out length),
            ColumnKind.Timestamp or ColumnKind.TimestampTz => CopyAsIs(text, canonical, out length),
            _ => Number(text, canonical, out length),
        };
    }

    private string? Date(ReadOnlySpan<char> text, Span<char> canonical, out int length)
    {
        length = 0;
        if (Pattern is null) return CopyAsIs(text, canonical, out length);
        if (!DateOnly.TryParseExact(text, Pattern, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return $"{Show(text)} is not a date written as {Pattern}";
        day.TryFormat(canonical, out length, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        return null;
    }

    private string? Timestamp(ReadOnlySpan<char> text, ColumnKind kind, Span<char> canonical, out int length)
    {
        length = 0;
        var zoned = kind == ColumnKind.TimestampTz && Zoned;
        long ticks;
        if (zoned)
        {
            if (!DateTimeOffset.TryParseExact(text, Pattern, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
                return $"{Show(text)} is not a {(kind == ColumnKind.TimestampTz ? "timestamptz" : "timestamp")} written as {Pattern}";
            ticks = instant.Ticks;
            instant.TryFormat(canonical, out length, "yyyy-MM-dd HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);
        }
        else
        {
            if (!DateTime.TryParseExact(text, Pattern, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
                return $"{Show(text)} is not a {(kind == ColumnKind.TimestampTz ? "timestamptz" : "timestamp")} written as {Pattern}";
            ticks = time.Ticks;
            time.TryFormat(canonical, out length, "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        }
        return ticks % 10 == 0 ? null : $"{Show(text)} has more than 6 fractional second digits; PostgreSQL keeps microseconds";
    }

    /// <summary>A number: the group separator taken out (between groups of three digits, before the decimals only) and
    /// the decimal separator made a point; anything else is kept for the number's own reader to judge.</summary>
    private string? Number(ReadOnlySpan<char> text, Span<char> canonical, out int length)
    {
        length = 0;
        var point = Decimal ?? '.';
        var run = 0;
        bool grouped = false, decimals = false, digits = false;
        foreach (var c in text)
        {
            if (c == Group && !decimals)
            {
                // Before the first separator 1 to 3 digits, between two of them exactly 3.
                if (!digits || run is 0 or > 3 || grouped && run != 3) return Misformatted(text);
                (grouped, run) = (true, 0);
                continue;
            }
            if (c == point && !decimals)
            {
                if (grouped && run != 3) return Misformatted(text);
                decimals = true;
                canonical[length++] = '.';
                continue;
            }
            // A second decimal separator, or a point where the decimals are written with another separator: a misread
            // waiting to happen (1.5 read as 15).
            if (c is '.' or ',' || c == point || c == Group) return Misformatted(text);
            if (char.IsAsciiDigit(c)) { run++; digits = true; }
            else if (!decimals) run = 0;
            canonical[length++] = c;
        }
        return grouped && !decimals && run != 3 ? Misformatted(text) : null;
    }

    private string Misformatted(ReadOnlySpan<char> text) =>
        $"{Show(text)} is not a number written with {MessageText.Quote((Decimal ?? '.').ToString())} before the decimals" +
        (Group is { } g ? $" and {(g == ' ' ? "a space" : MessageText.Quote(g.ToString()))} between thousands" : "");

    private static string? CopyAsIs(ReadOnlySpan<char> text, Span<char> canonical, out int length)
    {
        text.CopyTo(canonical);
        length = text.Length;
        return null;
    }

    private static string Show(ReadOnlySpan<char> text) => Postgres.Copy.FieldEncoder.Show(text);
}
