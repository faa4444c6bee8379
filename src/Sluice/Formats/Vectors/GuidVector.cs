using System.Text.Json;
using Sluice.Pipelines;

namespace Sluice.Formats.Vectors;

/// <summary>uuid: 36-character (or 32 hex digit) text, Parquet's UUID logical type.</summary>
internal sealed class GuidVector(ColumnDefinition column, int capacity) : StructVector<Guid>(column, capacity)
{
    internal override string? Parse(ReadOnlySpan<char> text, int row)
    {
        if ((text.Length == 36 && Guid.TryParseExact(text, "D", out var g)) || (text.Length == 32 && Guid.TryParseExact(text, "N", out g)))
        {
            Data[row] = g;
            return null;
        }
        return $"{Quote(text)} is not a valid uuid";
    }

    internal override string Text(int row) => Data[row]!.Value.ToString("D");

    internal override void WriteJson(int row, Utf8JsonWriter writer) => writer.WriteStringValue(Data[row]!.Value);
}
