using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Sluice.Pipelines;

namespace Sluice.Formats.Vectors;

/// <summary>
/// numeric(p,s) with 29 to 38 digits, wider than <see cref="decimal"/> holds: each value is its unscaled integer at the
/// column's scale in an <see cref="Int128"/> (10^38 − 1 fits), so <c>-99999999999999999999999999.999999999999</c> is
/// exactly that. Parsing follows <see cref="DecimalVector"/>'s rules (sign, digits, point, optional exponent; extra
/// fractional digits only when they are zeros; at most p−s integer digits) and builds the integer digit by digit.
/// </summary>
internal sealed class WideDecimalVector : StructVector<Int128>
{
    /// <summary>The widest numeric conversion keeps exactly (Parquet's DECIMAL in 16 bytes; DuckDB's widest DECIMAL).</summary>
    public const int MaxPrecision = 38;

    private static readonly Int128[] PowersOfTen = Enumerable.Range(0, MaxPrecision + 1)
        .Select(n => Enumerable.Repeat((Int128)10, n).Aggregate(Int128.One, (a, b) => a * b)).ToArray();

    public WideDecimalVector(ColumnDefinition column, int capacity) : base(column, capacity)
    {
        Precision = column.Type.Precision ?? MaxPrecision;
        Scale = column.Type.Scale ?? 0;
        if (Precision > MaxPrecision)
            throw new DataFileException("numeric.too_wide", null,
                $"column '{column.Name}' is {column.Type.ToSql()}; conversion keeps numerics of up to {MaxPrecision} digits exactly — declare a narrower numeric or text.");
    }

    /// <summary>The column's precision.</summary>
    public int Precision { get; }

    /// <summary>The column's scale: every value is stored as value × 10^Scale.</summary>
    public int Scale { get; }

    internal override string? Parse(ReadOnlySpan<char> text, int row)
    {
        var pos = text is ['+' or '-', ..] ? 1 : 0;
        var negative = text is ['-', ..];
        Span<byte> digits = stackalloc byte[MaxPrecision];
        int count = 0, beforePoint = 0;
        bool sawDigit = false, sawPoint = false;
        for (; pos < text.Length; pos++)
        {
            var c = text[pos];
            if ((uint)(c - '0') <= 9)
            {
                sawDigit = true;
                if (count == 0 && c == '0')
                {
                    if (!sawPoint) continue; // a leading zero of the integer part
                    beforePoint--;           // 0.00123: a zero right after the point shifts it instead of being stored
                    continue;
                }
                if (count == MaxPrecision)
                {
                    // Only zeros after the point may go beyond the digits kept (they carry no value).
                    if (c != '0' || !sawPoint) return $"{Quote(text)} has more than {MaxPrecision} significant digits; {Column.Type.ToSql()} allows {Precision}";
                    continue;
                }
                digits[count++] = (byte)(c - '0');
                if (!sawPoint) beforePoint++;
            }
            else if (c == '.' && !sawPoint) sawPoint = true;
            else break;
        }

        long exponent = 0;
        if (sawDigit && pos < text.Length && text[pos] is 'e' or 'E')
        {
            pos++;
            var expNegative = pos < text.Length && text[pos] == '-';
            if (pos < text.Length && text[pos] is '+' or '-') pos++;
            var expStart = pos;
            for (; pos < text.Length && (uint)(text[pos] - '0') <= 9; pos++) exponent = Math.Min((exponent * 10) + (text[pos] - '0'), 10_000);
            if (pos == expStart) return NotValid(text);
            if (expNegative) exponent = -exponent;
        }
        if (!sawDigit || pos != text.Length) return NotValid(text);

        while (count > 0 && digits[count - 1] == 0 && count > beforePoint + exponent) count--; // fractional trailing zeros
        if (count == 0)
        {
            Data[row] = Int128.Zero;
            return null;
        }
        var point = (int)(beforePoint + exponent); // the value is 0.d0 d1 … × 10^point
        var fraction = Math.Max(0, count - point);
        var integerDigits = Math.Max(0, point);
        if (fraction > Scale) return $"{Quote(text)} has {fraction} decimal places; {Column.Type.ToSql()} allows {Scale}";
        if (integerDigits > Precision - Scale) return $"{Quote(text)} has {integerDigits} integer digits; {Column.Type.ToSql()} allows {Precision - Scale}";

        Int128 unscaled = 0;
        for (var i = 0; i < count; i++) unscaled = (unscaled * 10) + digits[i];
        unscaled *= PowersOfTen[point - count + Scale]; // value = digits × 10^(point − count); never negative after the checks above
        Data[row] = negative ? -unscaled : unscaled;
        return null;
    }

    private string NotValid(ReadOnlySpan<char> text) => $"{Quote(text)} is not a valid {Column.Type.ToSql()}";

    /// <summary>Stores an unscaled value read from a binary format (Parquet) after checking it fits the column.</summary>
    internal string? Set(BigInteger unscaled, int scale, int row)
    {
        if (scale == Scale && BigInteger.Abs(unscaled) < (BigInteger)PowersOfTen[Precision])
        {
            Data[row] = (Int128)unscaled;
            return null;
        }
        return Parse(Format(unscaled, scale), row);
    }

    /// <summary>The unscaled value at <paramref name="row"/> (value × 10^<see cref="Scale"/>).</summary>
    internal BigInteger Unscaled(int row) => Data[row]!.Value;

    internal override string Text(int row) => Format(Data[row]!.Value, Scale);

    // A JSON number written from the digits: exact, and read back digit by digit.
    internal override void WriteJson(int row, Utf8JsonWriter writer) => writer.WriteRawValue(Text(row), skipInputValidation: true);

    private static string Format(BigInteger unscaled, int scale)
    {
        var digits = BigInteger.Abs(unscaled).ToString(CultureInfo.InvariantCulture);
        var sign = unscaled.Sign < 0 ? "-" : "";
        if (scale == 0) return sign + digits;
        digits = digits.PadLeft(scale + 1, '0');
        return $"{sign}{digits[..^scale]}.{digits[^scale..]}";
    }
}
