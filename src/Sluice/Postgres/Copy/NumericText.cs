using Sluice.Pipelines;

namespace Sluice.Postgres.Copy;

/// <summary>
/// Parses decimal text straight into PostgreSQL's base-10000 numeric binary form, digit by digit,
/// so that no value ever passes through a binary floating point or <see cref="decimal"/> (whose
/// 28-digit range is smaller than numeric's).
/// </summary>
/// <remarks>
/// Accepted: an optional sign, digits with an optional decimal point, an optional exponent
/// (<c>1.5e3</c>), and <c>NaN</c> for unconstrained numeric only. Leading or trailing whitespace is
/// rejected although PostgreSQL trims it: a padded number in a CSV usually means a misaligned or
/// fixed-width export, and inference and loading must agree on what a number looks like.
/// Values are never rounded: extra fractional digits are accepted only when they are zeros.
/// </remarks>
internal static class NumericText
{
    private const ushort Positive = 0x0000;
    private const ushort Negative = 0x4000;
    private const ushort NaN = 0xC000;

    // PostgreSQL's limits: 131072 digits before the point, display scale at most 16383.
    private const int MaxIntegerDigits = 131072;
    private const int MaxDisplayScale = 0x3FFF;

    /// <summary>Writes <paramref name="text"/> as a numeric field, or returns why it cannot be one.</summary>
    public static string? Write(ReadOnlySpan<char> text, ColumnType type, PgCopyWriter writer)
    {
        Span<byte> stackDigits = stackalloc byte[64];
        var digits = text.Length <= stackDigits.Length ? stackDigits : new byte[text.Length];

        var pos = 0;
        var negative = false;
        if (pos < text.Length && (text[pos] == '+' || text[pos] == '-'))
        {
            negative = text[pos] == '-';
            pos++;
        }

        var count = 0;        // digits collected (leading zeros of the integer part skipped)
        var beforePoint = 0;  // of those, how many came before the decimal point
        var writtenFraction = 0;
        var sawDigit = false;
        var sawPoint = false;
        for (; pos < text.Length; pos++)
        {
            var c = text[pos];
            if ((uint)(c - '0') <= 9)
            {
                sawDigit = true;
                if (sawPoint)
                {
                    writtenFraction++;
                }
                else if (count == 0 && c == '0')
                {
                    continue; // leading zero of the integer part: no value, no position
                }
                else
                {
                    beforePoint++;
                }

                digits[count++] = (byte)(c - '0');
            }
            else if (c == '.' && !sawPoint)
            {
                sawPoint = true;
            }
            else
            {
                break;
            }
        }

        long exponent = 0;
        if (sawDigit && pos < text.Length && (text[pos] == 'e' || text[pos] == 'E'))
        {
            pos++;
            var expNegative = false;
            if (pos < text.Length && (text[pos] == '+' || text[pos] == '-'))
            {
                expNegative = text[pos] == '-';
                pos++;
            }

            var expStart = pos;
            for (; pos < text.Length && (uint)(text[pos] - '0') <= 9; pos++)
            {
                exponent = Math.Min((exponent * 10) + (text[pos] - '0'), 10_000_000);
            }

            if (pos == expStart)
            {
                return NotValid(text, type);
            }

            exponent = expNegative ? -exponent : exponent;
        }

        if (!sawDigit || pos != text.Length)
        {
            return IsNaN(text) ? WriteNaN(text, type, writer) : NotValid(text, type);
        }

        // The value is 0.d0 d1 ... d(count-1) x 10^point once leading zeros are gone.
        long point = beforePoint + exponent;
        var start = 0;
        while (start < count && digits[start] == 0)
        {
            start++;
            point--; // a zero right after the point (0.00123): shift the point instead of storing it
        }

        var end = count;
        while (end > start && digits[end - 1] == 0)
        {
            end--; // trailing zeros carry no value; the display scale keeps them visible
        }

        var significant = end - start;
        var fractionNeeded = Math.Max(0, significant - point);
        var integerDigits = significant == 0 ? 0 : Math.Max(0, point);
        var displayScale = Math.Max(0, writtenFraction - exponent);

        if (type.Precision is { } precision)
        {
            var scale = type.Scale ?? 0;
            if (fractionNeeded > scale)
            {
                return $"{FieldEncoder.Show(text)} has {fractionNeeded} decimal places; {type.ToSql()} allows {scale}";
            }

            if (integerDigits > precision - scale)
            {
                return $"{FieldEncoder.Show(text)} has {integerDigits} integer digits; {type.ToSql()} allows {precision - scale}";
            }

            displayScale = scale; // PostgreSQL stores a constrained numeric at exactly its scale
        }
        else if (integerDigits > MaxIntegerDigits || displayScale > MaxDisplayScale || fractionNeeded > MaxDisplayScale)
        {
            return $"{FieldEncoder.Show(text)} is out of range for numeric";
        }

        if (significant == 0)
        {
            writer.WriteNumeric(0, Positive, (short)displayScale, []);
            return null;
        }

        // Decimal digit k has power point-1-k; base-10000 group g holds powers 4g..4g+3.
        var weight = FloorDiv(point - 1, 4);
        var lastGroup = FloorDiv(point - significant, 4);
        var groupCount = (int)(weight - lastGroup + 1);
        Span<short> stackGroups = stackalloc short[32];
        var groups = groupCount <= stackGroups.Length ? stackGroups[..groupCount] : new short[groupCount];
        groups.Clear();
        for (var k = 0; k < significant; k++)
        {
            var power = point - 1 - k;
            var group = FloorDiv(power, 4);
            var within = (int)(power - (group * 4));
            groups[(int)(weight - group)] += (short)(digits[start + k] * Pow10[within]);
        }

        // Only whole zero groups at the end can remain (e.g. 10000 = [1] weight 1); PostgreSQL strips them.
        var used = groupCount;
        while (used > 0 && groups[used - 1] == 0)
        {
            used--;
        }

        writer.WriteNumeric((short)weight, negative ? Negative : Positive, (short)displayScale, groups[..used]);
        return null;
    }

    private static ReadOnlySpan<short> Pow10 => [1, 10, 100, 1000];

    private static long FloorDiv(long value, long divisor) =>
        value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor);

    private static bool IsNaN(ReadOnlySpan<char> text) => text.Equals("NaN", StringComparison.OrdinalIgnoreCase);

    private static string? WriteNaN(ReadOnlySpan<char> text, ColumnType type, PgCopyWriter writer)
    {
        if (type.Precision is not null)
        {
            return $"{FieldEncoder.Show(text)} is not allowed in {type.ToSql()} (NaN needs unconstrained numeric)";
        }

        writer.WriteNumeric(0, NaN, 0, []);
        return null;
    }

    private static string NotValid(ReadOnlySpan<char> text, ColumnType type) =>
        $"{FieldEncoder.Show(text)} is not a valid {type.ToSql()}";
}
