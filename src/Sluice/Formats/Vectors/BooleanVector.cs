using System.Text.Json;
using Sluice.Pipelines;

namespace Sluice.Formats.Vectors;

/// <summary>boolean: true/false, t/f, yes/no, y/n, on/off, 1/0 (any case, as the loader and PostgreSQL take them) in;
/// <c>true</c>/<c>false</c> out.</summary>
internal sealed class BooleanVector(ColumnDefinition column, int capacity) : StructVector<bool>(column, capacity)
{
    internal override string? Parse(ReadOnlySpan<char> text, int row)
    {
        if (Is(text, "true") || Is(text, "t") || Is(text, "yes") || Is(text, "y") || Is(text, "on") || text is "1") Data[row] = true;
        else if (Is(text, "false") || Is(text, "f") || Is(text, "no") || Is(text, "n") || Is(text, "off") || text is "0") Data[row] = false;
        else return $"{Quote(text)} is not a boolean (true/false, t/f, yes/no, y/n, on/off or 1/0)";
        return null;
    }

    private static bool Is(ReadOnlySpan<char> text, string word) => text.Equals(word, StringComparison.OrdinalIgnoreCase);

    internal override string Text(int row) => Data[row]!.Value ? "true" : "false";

    internal override void WriteJson(int row, Utf8JsonWriter writer) => writer.WriteBooleanValue(Data[row]!.Value);
}
