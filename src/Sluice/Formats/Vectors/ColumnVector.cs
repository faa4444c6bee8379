using System.Text.Json;
using Sluice.Pipelines;

namespace Sluice.Formats.Vectors;

/// <summary>
/// The values of one column of a <see cref="ColumnBatch"/>, in the CLR type its Parquet form uses (<see cref="decimal"/>
/// for numeric of up to 28 digits, an unscaled <see cref="Int128"/> up to 38, <see cref="DateTime"/> for timestamps, ...).
/// A vector parses text into its type exactly, formats its values back to canonical text and JSON, and compares values,
/// so every format shares one notion of a value.
/// </summary>
public abstract class ColumnVector
{
    private protected ColumnVector(ColumnDefinition column) => Column = column;

    /// <summary>The column this vector holds.</summary>
    public ColumnDefinition Column { get; }

    /// <summary>The values as an array of the vector's CLR type (nullable); its length is the batch capacity.</summary>
    public abstract Array Values { get; }

    /// <summary>Whether the value at <paramref name="row"/> is null.</summary>
    public abstract bool IsNull(int row);

    /// <summary>Sets the value at <paramref name="row"/> to null.</summary>
    public abstract void SetNull(int row);

    /// <summary>Parses <paramref name="text"/> into <paramref name="row"/>; returns why it is not a valid value, or null.</summary>
    internal abstract string? Parse(ReadOnlySpan<char> text, int row);

    private char[] _canonical = [];

    /// <summary>
    /// <see cref="Parse"/> for a value read as text from a file, written as the column's <see cref="ColumnDefinition.Format"/>
    /// says (<c>dd.MM.yyyy</c>, <c>1.234,56</c>) when it has one: made canonical first.
    /// </summary>
    internal string? ParseField(ReadOnlySpan<char> text, int row)
    {
        if (Column.Format is not { } format) return Parse(text, row);
        return format.Canonical(text, Column.Type.Kind, ref _canonical, out var canonical) ?? Parse(canonical, row);
    }

    /// <summary>The canonical text of a non-null value (what CSV holds and what <see cref="Parse"/> reads back).</summary>
    internal abstract string Text(int row);

    /// <summary>Writes a non-null value as a JSON value.</summary>
    internal abstract void WriteJson(int row, Utf8JsonWriter writer);

    /// <summary>Whether the value at <paramref name="row"/> equals the value at <paramref name="otherRow"/> of <paramref name="other"/> (nulls equal nulls).</summary>
    internal abstract bool SameValue(int row, ColumnVector other, int otherRow);

    /// <summary>A value for messages and diff reports: its text, or <c>NULL</c>.</summary>
    public string Show(int row) => IsNull(row) ? "NULL" : Text(row);

    /// <summary>Creates the vector for a column's type.</summary>
    public static ColumnVector Create(ColumnDefinition column, int capacity)
    {
        ArgumentNullException.ThrowIfNull(column);
        return column.Type.Kind switch
        {
            ColumnKind.Text or ColumnKind.Varchar or ColumnKind.Char or ColumnKind.Json or ColumnKind.Jsonb => new StringVector(column, capacity),
            ColumnKind.Uuid => new GuidVector(column, capacity),
            ColumnKind.Boolean => new BooleanVector(column, capacity),
            ColumnKind.SmallInt => new Int16Vector(column, capacity),
            ColumnKind.Int => new Int32Vector(column, capacity),
            ColumnKind.BigInt => new Int64Vector(column, capacity),
            ColumnKind.Numeric when column.Type.Precision > DecimalVector.MaxPrecision => new WideDecimalVector(column, capacity),
            ColumnKind.Numeric => new DecimalVector(column, capacity),
            ColumnKind.Real => new SingleVector(column, capacity),
            ColumnKind.Double => new DoubleVector(column, capacity),
            ColumnKind.Date => new DateVector(column, capacity),
            ColumnKind.Timestamp or ColumnKind.TimestampTz => new TimestampVector(column, capacity),
            _ => throw new ArgumentOutOfRangeException(nameof(column), column.Type.Kind, null),
        };
    }

    /// <summary>A short quoted excerpt of a value for messages.</summary>
    internal static string Quote(ReadOnlySpan<char> text) =>
        text.Length <= 40 ? $"'{text}'" : $"'{text[..40]}…'";
}
