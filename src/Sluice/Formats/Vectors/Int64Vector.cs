using System.Globalization;
using System.Text.Json;
using Sluice.Pipelines;

namespace Sluice.Formats.Vectors;

/// <summary>bigint: an optional sign and decimal digits, nothing else (no spaces, no thousands separators).</summary>
internal sealed class Int64Vector(ColumnDefinition column, int capacity) : StructVector<long>(column, capacity)
{
    internal override string? Parse(ReadOnlySpan<char> text, int row)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            Data[row] = value;
            return null;
        }
        return $"{Quote(text)} is not a valid bigint";
    }

    internal override string Text(int row) => Data[row]!.Value.ToString(CultureInfo.InvariantCulture);

    internal override void WriteJson(int row, Utf8JsonWriter writer) => writer.WriteNumberValue(Data[row]!.Value);
}
