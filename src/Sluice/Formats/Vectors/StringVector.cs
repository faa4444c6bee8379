using System.Text.Json;
using Sluice.Pipelines;

namespace Sluice.Formats.Vectors;

/// <summary>
/// text, varchar(n), char(n), json and jsonb: the string as it was read, every character kept. A json or jsonb value
/// must be valid JSON (<see cref="JsonText"/>); it is kept as written, not re-serialised, so it round-trips exactly.
/// </summary>
internal sealed class StringVector(ColumnDefinition column, int capacity) : ColumnVector(column)
{
    private readonly int? _maxLength = column.Type.Kind is ColumnKind.Varchar or ColumnKind.Char ? column.Type.Length ?? (column.Type.Kind == ColumnKind.Char ? 1 : null) : null;

    /// <summary>Whether values are checked to be JSON (json and jsonb columns).</summary>
    public bool ChecksJson { get; } = column.Type.Kind is ColumnKind.Json or ColumnKind.Jsonb;

    public string?[] Data { get; } = new string?[capacity];

    public override Array Values => Data;

    public override bool IsNull(int row) => Data[row] is null;

    public override void SetNull(int row) => Data[row] = null;

    internal override string? Parse(ReadOnlySpan<char> text, int row)
    {
        if (_maxLength is { } max && text.Length > max)
            return $"{Quote(text)} has {text.Length} characters; {Column.Type.ToSql()} allows {max}";
        if (ChecksJson && JsonText.Check(text) is { } invalid) return invalid;
        Data[row] = text.ToString();
        return null;
    }

    /// <summary>Stores an already-allocated string (readers that have one avoid a copy).</summary>
    internal string? Set(string text, int row)
    {
        if (_maxLength is { } max && text.Length > max)
            return $"{Quote(text)} has {text.Length} characters; {Column.Type.ToSql()} allows {max}";
        if (ChecksJson && JsonText.Check(text) is { } invalid) return invalid;
        Data[row] = text;
        return null;
    }

    internal override string Text(int row) => Data[row]!;

    internal override void WriteJson(int row, Utf8JsonWriter writer) => writer.WriteStringValue(Data[row]);

    internal override bool SameValue(int row, ColumnVector other, int otherRow) =>
        other is StringVector o && string.Equals(Data[row], o.Data[otherRow], StringComparison.Ordinal);
}
