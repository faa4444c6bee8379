using Sluice.Pipelines;

namespace Sluice.Postgres.Copy;

/// <summary>
/// Parses ISO 8601 dates and timestamps from spans into PostgreSQL's binary forms: days or
/// microseconds since 2000-01-01. Only the forms below are accepted, so that a day/month swap
/// (<c>03/04/2024</c>) is rejected instead of guessed.
/// </summary>
/// <remarks>
/// date: <c>YYYY-MM-DD</c>. timestamp: <c>YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]]</c>, at most six
/// fractional digits (more would need rounding). timestamptz: the same, then an optional zone
/// <c>Z</c>, <c>±HH</c>, <c>±HH:MM</c> or <c>±HHMM</c>; a value without a zone is taken as UTC,
/// not as the server's zone, so that the result does not depend on where Sluice runs.
/// </remarks>
internal static class TemporalText
{
    private const long MicrosPerSecond = 1_000_000;
    private const long MicrosPerDay = 86_400 * MicrosPerSecond;
    private static readonly int PostgresEpochDay = new DateOnly(2000, 1, 1).DayNumber;

    /// <summary>Writes a date field, or returns why the text is not one.</summary>
    public static string? WriteDate(ReadOnlySpan<char> text, PgCopyWriter writer)
    {
        if (text.Length != 10 || !TryParseDate(text, out var day))
        {
            return $"{FieldEncoder.Show(text)} is not a valid date (expected YYYY-MM-DD)";
        }

        writer.WriteDate(day - PostgresEpochDay);
        return null;
    }

    /// <summary>Writes a timestamp or timestamptz field, or returns why the text is not one.</summary>
    public static string? WriteTimestamp(ReadOnlySpan<char> text, ColumnType type, PgCopyWriter writer)
    {
        var withZone = type.Kind == ColumnKind.TimestampTz;
        if (!TryParseTimestamp(text, withZone, out var micros, out var tooPrecise))
        {
            return tooPrecise
                ? $"{FieldEncoder.Show(text)} has more than 6 fractional second digits; {type.ToSql()} keeps microseconds"
                : withZone
                    ? $"{FieldEncoder.Show(text)} is not a valid timestamptz (expected YYYY-MM-DD HH:MM[:SS[.ffffff]][Z|+HH[:MM]])"
                    : $"{FieldEncoder.Show(text)} is not a valid timestamp (expected YYYY-MM-DD HH:MM[:SS[.ffffff]])";
        }

        writer.WriteTimestamp(micros);
        return null;
    }

    /// <summary>Parses a timestamp into microseconds since 2000-01-01 (UTC when a zone is given).</summary>
    /// <param name="text">The field.</param>
    /// <param name="allowZone">Whether a zone suffix may follow (timestamptz).</param>
    /// <param name="micros">The instant.</param>
    /// <param name="tooPrecise">True when the only problem is more than six fractional digits.</param>
    internal static bool TryParseTimestamp(ReadOnlySpan<char> text, bool allowZone, out long micros, out bool tooPrecise)
    {
        micros = 0;
        tooPrecise = false;
        if (text.Length < 16 || (text[10] != ' ' && text[10] != 'T') || !TryParseDate(text[..10], out var day))
        {
            return false;
        }

        if (!TwoDigits(text, 11, out var hour) || text[13] != ':' || !TwoDigits(text, 14, out var minute) ||
            hour > 23 || minute > 59)
        {
            return false;
        }

        var pos = 16;
        var second = 0;
        long fraction = 0;
        if (pos < text.Length && text[pos] == ':')
        {
            if (!TwoDigits(text, pos + 1, out second) || second > 59)
            {
                return false;
            }

            pos += 3;
            if (pos < text.Length && text[pos] == '.')
            {
                pos++;
                var digits = 0;
                for (; pos < text.Length && (uint)(text[pos] - '0') <= 9; pos++, digits++)
                {
                    if (digits < 6)
                    {
                        fraction = (fraction * 10) + (text[pos] - '0');
                    }
                }

                if (digits == 0)
                {
                    return false;
                }

                if (digits > 6)
                {
                    tooPrecise = RestIsZone(text[pos..], allowZone, out _);
                    return false;
                }

                for (; digits < 6; digits++)
                {
                    fraction *= 10;
                }
            }
        }

        if (!RestIsZone(text[pos..], allowZone, out var offsetMinutes))
        {
            return false;
        }

        micros = ((day - PostgresEpochDay) * MicrosPerDay) +
                 ((((hour * 60L) + minute - offsetMinutes) * 60L) + second) * MicrosPerSecond + fraction;
        return true;
    }

    /// <summary>Parses YYYY-MM-DD (exactly ten characters) into a day number.</summary>
    internal static bool TryParseDate(ReadOnlySpan<char> text, out int dayNumber)
    {
        dayNumber = 0;
        if (text.Length != 10 || text[4] != '-' || text[7] != '-' ||
            !TwoDigits(text, 0, out var century) || !TwoDigits(text, 2, out var yy) ||
            !TwoDigits(text, 5, out var month) || !TwoDigits(text, 8, out var dayOfMonth))
        {
            return false;
        }

        var year = (century * 100) + yy;
        if (year < 1 || month < 1 || month > 12 || dayOfMonth < 1 || dayOfMonth > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        dayNumber = new DateOnly(year, month, dayOfMonth).DayNumber;
        return true;
    }

    /// <summary>True when <paramref name="rest"/> is empty or, if allowed, a valid zone.</summary>
    private static bool RestIsZone(ReadOnlySpan<char> rest, bool allowZone, out int offsetMinutes)
    {
        offsetMinutes = 0;
        if (rest.IsEmpty)
        {
            return true;
        }

        if (!allowZone)
        {
            return false;
        }

        if (rest.Length == 1 && rest[0] is 'Z' or 'z')
        {
            return true;
        }

        if (rest[0] is not ('+' or '-') || !TwoDigits(rest, 1, out var hours))
        {
            return false;
        }

        var minutes = 0;
        var ok = rest.Length switch
        {
            3 => true,
            5 => TwoDigits(rest, 3, out minutes),
            6 => rest[3] == ':' && TwoDigits(rest, 4, out minutes),
            _ => false,
        };
        if (!ok || hours > 15 || minutes > 59)
        {
            return false;
        }

        offsetMinutes = (rest[0] == '-' ? -1 : 1) * ((hours * 60) + minutes);
        return true;
    }

    private static bool TwoDigits(ReadOnlySpan<char> text, int at, out int value)
    {
        value = 0;
        if (at + 1 >= text.Length)
        {
            return false;
        }

        var tens = (uint)(text[at] - '0');
        var ones = (uint)(text[at + 1] - '0');
        if (tens > 9 || ones > 9)
        {
            return false;
        }

        value = (int)((tens * 10) + ones);
        return true;
    }
}
