using System.Globalization;
using System.Text.Json;
using Sluice.Pipelines;

namespace Sluice.Formats.Vectors;

/// <summary>real: declared floating point, written in the shortest text that reads back to the same float.</summary>
internal sealed class SingleVector(ColumnDefinition column, int capacity) : StructVector<float>(column, capacity)
{
    internal override string? Parse(ReadOnlySpan<char> text, int row)
    {
        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            // As a CSV field is: a finite number past the type's range is refused, not stored as infinity or zero.
            if (Postgres.Copy.FieldEncoder.FloatOutOfRange(text, value, Column.Type) is { } reason) return reason;
            Data[row] = value;
            return null;
        }
        return $"{Quote(text)} is not a valid real";
    }

    internal override string Text(int row) => Data[row]!.Value.ToString("R", CultureInfo.InvariantCulture);

    internal override void WriteJson(int row, Utf8JsonWriter writer)
    {
        var v = Data[row]!.Value;
        if (float.IsFinite(v)) writer.WriteNumberValue(v);
        else writer.WriteStringValue(Text(row)); // JSON has no NaN or Infinity
    }
}
