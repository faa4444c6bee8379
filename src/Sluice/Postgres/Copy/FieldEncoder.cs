using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Pipelines;

namespace Sluice.Postgres.Copy;

/// <summary>
/// Turns one CSV field of one column into the binary COPY form of the column's type, or says in
/// one short sentence why the field cannot be stored. Parsing works on spans and writes straight
/// into the <see cref="PgCopyWriter"/> buffer, so a valid field costs no allocation.
/// </summary>
public sealed class FieldEncoder
{
    private const int ShownCharacters = 40;

    private readonly string[] _nullMarkers;
    private readonly bool _onlyEmptyIsNull;
    private char[] _canonical = [];

    /// <summary>Creates the encoder of one column.</summary>
    /// <param name="column">The target column.</param>
    /// <param name="nullMarkers">Field values read as SQL NULL (compared exactly).</param>
    public FieldEncoder(ColumnDefinition column, IReadOnlyList<string> nullMarkers)
    {
        ArgumentNullException.ThrowIfNull(column);
        ArgumentNullException.ThrowIfNull(nullMarkers);
        Column = column;
        _nullMarkers = [.. nullMarkers];
        _onlyEmptyIsNull = _nullMarkers is [""];
    }

    /// <summary>The column this encoder writes.</summary>
    public ColumnDefinition Column { get; }

    /// <summary>
    /// Writes <paramref name="field"/> as the next field of the current row, or returns a reject
    /// reason and writes nothing usable (the caller then cancels the row).
    /// </summary>
    public string? Write(ReadOnlySpan<char> field, PgCopyWriter writer)
    {
        if (IsNull(field))
        {
            if (!Column.Nullable)
            {
                return $"null in not-null column '{Column.Name}'";
            }

            writer.WriteNull();
            return null;
        }

        return WriteValue(field, writer);
    }

    /// <summary>
    /// As <see cref="Write"/>, for a field that is a value even if it reads as a null marker (it was quoted: <c>""</c>
    /// is the empty string, <c>"NULL"</c> the word).
    /// </summary>
    public string? WriteValue(ReadOnlySpan<char> field, PgCopyWriter writer)
    {
        if (Column.Format is { } format)
        {
            // Written as the pipeline says (dd.MM.yyyy, 1.234,56): made canonical first, then read as any other value.
            if (format.Canonical(field, Column.Type.Kind, ref _canonical, out var canonical) is { } misformatted) return misformatted;
            field = canonical;
        }
        var type = Column.Type;
        return type.Kind switch
        {
            ColumnKind.Text or ColumnKind.Varchar or ColumnKind.Char => WriteText(field, type, writer),
            ColumnKind.SmallInt => WriteInteger(field, type, short.MinValue, short.MaxValue, writer),
            ColumnKind.Int => WriteInteger(field, type, int.MinValue, int.MaxValue, writer),
            ColumnKind.BigInt => WriteInteger(field, type, long.MinValue, long.MaxValue, writer),
            ColumnKind.Numeric => NumericText.Write(field, type, writer),
            ColumnKind.Real or ColumnKind.Double => WriteFloat(field, type, writer),
            ColumnKind.Boolean => WriteBoolean(field, writer),
            ColumnKind.Date => TemporalText.WriteDate(field, writer),
            ColumnKind.Timestamp or ColumnKind.TimestampTz => TemporalText.WriteTimestamp(field, type, writer),
            ColumnKind.Uuid => WriteUuid(field, writer),
            ColumnKind.Json or ColumnKind.Jsonb => WriteJson(field, type, writer),
            _ => throw new NotSupportedException($"Column type {type} has no binary encoder."),
        };
    }

    /// <summary>Whether the field is one of the null markers.</summary>
    public bool IsNull(ReadOnlySpan<char> field)
    {
        if (_onlyEmptyIsNull)
        {
            return field.IsEmpty;
        }

        foreach (var marker in _nullMarkers)
        {
            if (field.SequenceEqual(marker))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A field as shown in a reject reason: quoted, and cut short when long.</summary>
    internal static string Show(ReadOnlySpan<char> field) =>
        field.Length <= ShownCharacters ? $"'{field}'" : $"'{field[..(ShownCharacters - 3)]}...'";

    private static string? WriteText(ReadOnlySpan<char> field, ColumnType type, PgCopyWriter writer)
    {
        if (field.Contains('\0'))
        {
            return "text contains a NUL character, which PostgreSQL cannot store";
        }

        // PostgreSQL counts characters as code points; a UTF-16 span only over-counts on surrogate
        // pairs, so the exact count is needed only when the span is longer than the limit.
        // char without a length is char(1), as in PostgreSQL.
        var maxLength = type.Kind switch { ColumnKind.Char => type.Length ?? 1, ColumnKind.Varchar => type.Length, _ => null };
        if (maxLength is { } limit && field.Length > limit)
        {
            var codePoints = CountCodePoints(field);
            if (codePoints > limit)
            {
                return $"value is {codePoints} characters; {type.ToSql()} allows {limit}";
            }
        }

        writer.WriteUtf8(field);
        return null;
    }

    private static int CountCodePoints(ReadOnlySpan<char> field)
    {
        var count = 0;
        foreach (var _ in field.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    private static string? WriteInteger(ReadOnlySpan<char> field, ColumnType type, long min, long max, PgCopyWriter writer)
    {
        if (!long.TryParse(field, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return IsSignedDigits(field)
                ? $"{Show(field)} is out of range for {type.ToSql()}"
                : $"{Show(field)} is not a valid {type.ToSql()}";
        }

        if (value < min || value > max)
        {
            return $"{Show(field)} is out of range for {type.ToSql()}";
        }

        switch (type.Kind)
        {
            case ColumnKind.SmallInt: writer.WriteInt16((short)value); break;
            case ColumnKind.Int: writer.WriteInt32((int)value); break;
            default: writer.WriteInt64(value); break;
        }

        return null;
    }

    private static bool MantissaIsNonZero(ReadOnlySpan<char> field)
    {
        var exponent = field.IndexOfAny('e', 'E');
        return (exponent < 0 ? field : field[..exponent]).IndexOfAnyInRange('1', '9') >= 0;
    }

    private static bool IsSignedDigits(ReadOnlySpan<char> field)
    {
        var digits = field is ['+' or '-', .. var rest] ? rest : field;
        return !digits.IsEmpty && !digits.ContainsAnyExceptInRange('0', '9');
    }

    /// <summary>Why <paramref name="parsed"/>, what .NET read <paramref name="field"/> as, is not the value written, as
    /// PostgreSQL would refuse it; null when it is. .NET turns overflow into infinity and underflow into zero, where
    /// PostgreSQL rejects both (unless infinity was written).</summary>
    internal static string? FloatOutOfRange(ReadOnlySpan<char> field, double parsed, ColumnType type)
    {
        if (double.IsInfinity(parsed) && !field.Contains("inf", StringComparison.OrdinalIgnoreCase) && !field.Contains('∞'))
        {
            return $"{Show(field)} is out of range for {type.ToSql()}";
        }

        // 1e-50 as real: PostgreSQL rejects a non-zero value too small for the type.
        return parsed == 0 && MantissaIsNonZero(field)
            ? $"{Show(field)} is too close to zero for {type.ToSql()} (it would be stored as 0)"
            : null;
    }

    private static string? WriteFloat(ReadOnlySpan<char> field, ColumnType type, PgCopyWriter writer)
    {
        // No whitespace, no thousands separators: the same strictness as the other numbers.
        const NumberStyles style = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
        if (!double.TryParse(field, style, CultureInfo.InvariantCulture, out var value))
        {
            return $"{Show(field)} is not a valid {type.ToSql()}";
        }

        if (FloatOutOfRange(field, type.Kind == ColumnKind.Real ? (float)value : value, type) is { } reason)
        {
            return reason;
        }

        if (type.Kind == ColumnKind.Real)
        {
            // Parse as float directly: rounding through double first could differ in the last bit.
            writer.WriteFloat4(float.Parse(field, style, CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteFloat8(value);
        }

        return null;
    }

    private static string? WriteBoolean(ReadOnlySpan<char> field, PgCopyWriter writer)
    {
        bool? value = field.Length switch
        {
            1 => field[0] switch
            {
                't' or 'T' or 'y' or 'Y' or '1' => true,
                'f' or 'F' or 'n' or 'N' or '0' => false,
                _ => null,
            },
            _ when field.Equals("true", StringComparison.OrdinalIgnoreCase) ||
                   field.Equals("yes", StringComparison.OrdinalIgnoreCase) ||
                   field.Equals("on", StringComparison.OrdinalIgnoreCase) => true,
            _ when field.Equals("false", StringComparison.OrdinalIgnoreCase) ||
                   field.Equals("no", StringComparison.OrdinalIgnoreCase) ||
                   field.Equals("off", StringComparison.OrdinalIgnoreCase) => false,
            _ => null,
        };
        if (value is not { } flag)
        {
            return $"{Show(field)} is not a valid boolean (expected true/false, t/f, yes/no, y/n, on/off or 1/0)";
        }

        writer.WriteBoolean(flag);
        return null;
    }

    private static string? WriteUuid(ReadOnlySpan<char> field, PgCopyWriter writer)
    {
        if (!(field.Length == 36 ? Guid.TryParseExact(field, "D", out var value)
                : field.Length == 32 && Guid.TryParseExact(field, "N", out value)))
        {
            return $"{Show(field)} is not a valid uuid";
        }

        writer.WriteUuid(value);
        return null;
    }

    private static string? WriteJson(ReadOnlySpan<char> field, ColumnType type, PgCopyWriter writer)
    {
        if (field.Contains('\0'))
        {
            return $"{type.ToSql()} contains a NUL character, which PostgreSQL cannot store";
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(field.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(field, rented);
            var bytes = rented.AsSpan(0, length);
            if (!IsWellFormedJson(bytes))
            {
                return $"{Show(field)} is not valid {type.ToSql()}";
            }

            if (type.Kind == ColumnKind.Jsonb && field.Contains("\\u0000", StringComparison.OrdinalIgnoreCase) && HasNulEscape(bytes))
            {
                return "jsonb cannot hold the \\u0000 escape (a NUL character); declare the column json, or remove it from the value";
            }

            writer.WriteUtf8(field, prefix: type.Kind == ColumnKind.Jsonb ? 1 : -1);
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Whether a string or property name of the (well-formed) JSON holds <c>\u0000</c>, which jsonb refuses.</summary>
    private static bool HasNulEscape(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 1000 });
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped &&
                reader.GetString()!.Contains('\0'))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsWellFormedJson(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 1000 });
        try
        {
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
