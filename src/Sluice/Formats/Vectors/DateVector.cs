using System.Globalization;
using System.Text.Json;
using Sluice.Pipelines;
using Sluice.Postgres.Copy;

namespace Sluice.Formats.Vectors;

/// <summary>date: <c>YYYY-MM-DD</c> only (a day/month swap is rejected, never guessed).</summary>
internal sealed class DateVector(ColumnDefinition column, int capacity) : StructVector<DateOnly>(column, capacity)
{
    internal override string? Parse(ReadOnlySpan<char> text, int row)
    {
        if (TemporalText.TryParseDate(text, out var day))
        {
            Data[row] = DateOnly.FromDayNumber(day);
            return null;
        }
        return $"{Quote(text)} is not a valid date (expected YYYY-MM-DD)";
    }

    internal override string Text(int row) => Data[row]!.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal override void WriteJson(int row, Utf8JsonWriter writer) => writer.WriteStringValue(Text(row));
}
