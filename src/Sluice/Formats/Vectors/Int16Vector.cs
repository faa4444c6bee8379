using System.Globalization;
using System.Text.Json;
using Sluice.Pipelines;

namespace Sluice.Formats.Vectors;

/// <summary>smallint: an optional sign and decimal digits, nothing else (no spaces, no thousands separators).</summary>
internal sealed class Int16Vector(ColumnDefinition column, int capacity) : StructVector<short>(column, capacity)
{
    internal override string? Parse(ReadOnlySpan<char> text, int row)
    {
        if (short.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            Data[row] = value;
            return null;
        }
        return $"{Quote(text)} is not a valid smallint";
    }

    internal override string Text(int row) => Data[row]!.Value.ToString(CultureInfo.InvariantCulture);

    internal override void WriteJson(int row, Utf8JsonWriter writer) => writer.WriteNumberValue(Data[row]!.Value);
}
