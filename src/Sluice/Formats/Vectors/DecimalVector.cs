using System.Globalization;
using System.Text.Json;
using Sluice.Pipelines;

namespace Sluice.Formats.Vectors;

/// <summary>
/// numeric(p,s) as <see cref="decimal"/>: a base-10 value with its own scale, so <c>18071.13</c> is exactly that and never a
/// binary fraction. Parsing follows the loader's rules (see <c>NumericText</c>): sign, digits, point, optional exponent;
/// extra fractional digits only when they are zeros (never rounded); at most p−s integer digits.
/// </summary>
/// <remarks>
/// <see cref="decimal"/> holds 28 significant digits; a numeric(29..38) column is a <see cref="WideDecimalVector"/>
/// instead (<see cref="MaxPrecision"/>), so no value is ever rounded to fit. The fast path builds the 64-bit unscaled
/// integer digit by digit; only values of more than 18 digits or with an exponent go through <see cref="decimal.TryParse(ReadOnlySpan{char}, NumberStyles, IFormatProvider?, out decimal)"/>,
/// which is exact for the 28 digits checked before it is called.
/// </remarks>
internal sealed class DecimalVector : StructVector<decimal>
{
    /// <summary>The widest numeric a <see cref="decimal"/> holds without rounding.</summary>
    public const int MaxPrecision = 28;

    private readonly int? _precision;
    private readonly int? _scale;
    private readonly string _format;

    public DecimalVector(ColumnDefinition column, int capacity) : base(column, capacity)
    {
        _precision = column.Type.Precision;
        _scale = column.Type.Precision is null ? null : column.Type.Scale ?? 0;
        if (_precision > MaxPrecision)
            throw new DataFileException("numeric.too_wide", null,
                $"column '{column.Name}' is {column.Type.ToSql()}; conversion keeps numerics of up to {MaxPrecision} digits exactly — declare a narrower numeric or text.");
        _format = _scale is { } s ? "F" + s.ToString(CultureInfo.InvariantCulture) : "G";
    }

    internal override string? Parse(ReadOnlySpan<char> text, int row)
    {
        var body = text is ['+' or '-', .. var rest] ? rest : text;
        var negative = text is ['-', ..];
        ulong unscaled = 0;
        int digits = 0, fraction = 0, trailingZeros = 0;
        var point = false;
        var simple = body.Length > 0;
        foreach (var c in body)
        {
            if ((uint)(c - '0') <= 9)
            {
                if (digits == 0 && c == '0' && !point) continue; // leading zero
                if (point)
                {
                    fraction++;
                    trailingZeros = c == '0' ? trailingZeros + 1 : 0;
                }
                if (++digits > 18) { simple = false; break; }
                unscaled = (unscaled * 10) + (uint)(c - '0');
            }
            else if (c == '.' && !point) point = true;
            else { simple = false; break; }
        }
        if (simple && (body.Length > (point ? 1 : 0)))
        {
            var value = new decimal((int)unscaled, (int)(unscaled >> 32), 0, negative, (byte)fraction);
            return Store(text, value, fraction - trailingZeros, digits - fraction, row);
        }

        // Long or exponent forms: count significant digits first so decimal.TryParse never rounds.
        var significant = 0;
        var seenNonZero = false;
        foreach (var c in body)
        {
            if (c is 'e' or 'E') break;
            if ((uint)(c - '0') > 9) continue;
            if (c != '0') seenNonZero = true;
            if (seenNonZero) significant++;
        }
        if (significant > MaxPrecision)
            return $"{Quote(text)} has {significant} significant digits; conversion keeps at most {MaxPrecision}";
        if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out var parsed) || text.ContainsAny(" \t_,"))
            return $"{Quote(text)} is not a valid {Column.Type.ToSql()}";
        // The decimal's own text has its digits without an exponent: count what the scale must hold.
        var digitsText = decimal.Abs(parsed).ToString(CultureInfo.InvariantCulture);
        var dot = digitsText.IndexOf('.');
        var needed = dot < 0 ? 0 : digitsText.AsSpan(dot + 1).TrimEnd('0').Length;
        var integerDigits = (dot < 0 ? digitsText : digitsText[..dot]).TrimStart('0').Length;
        return Store(text, parsed, needed, integerDigits, row);
    }

    private string? Store(ReadOnlySpan<char> text, decimal value, int fractionNeeded, int integerDigits, int row)
    {
        if (_precision is { } p)
        {
            var s = _scale!.Value;
            if (fractionNeeded > s)
                return $"{Quote(text)} has {fractionNeeded} decimal places; {Column.Type.ToSql()} allows {s}";
            if (integerDigits > p - s)
                return $"{Quote(text)} has {integerDigits} integer digits; {Column.Type.ToSql()} allows {p - s}";
        }
        Data[row] = value;
        return null;
    }

    /// <summary>Stores a value read from a binary format after checking it fits the column.</summary>
    internal string? Set(decimal value, int row)
    {
        var text = value.ToString(CultureInfo.InvariantCulture);
        return Parse(text, row);
    }

    internal override string Text(int row) => Data[row]!.Value.ToString(_format, CultureInfo.InvariantCulture);

    // A JSON number written from the decimal's digits: exact, and read back digit by digit.
    internal override void WriteJson(int row, Utf8JsonWriter writer) => writer.WriteRawValue(Text(row), skipInputValidation: true);
}
