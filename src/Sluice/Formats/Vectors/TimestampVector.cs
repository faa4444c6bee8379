using System.Globalization;
using System.Text.Json;
using Sluice.Pipelines;
using Sluice.Postgres.Copy;

namespace Sluice.Formats.Vectors;

/// <summary>
/// timestamp and timestamptz to the microsecond. A timestamp is a wall-clock time (<see cref="DateTimeKind.Unspecified"/>,
/// Parquet isAdjustedToUTC=false); a timestamptz is an instant, kept in UTC (<see cref="DateTimeKind.Utc"/>,
/// isAdjustedToUTC=true) and written with a <c>Z</c>, so that its meaning never depends on where Sluice runs.
/// </summary>
internal sealed class TimestampVector(ColumnDefinition column, int capacity) : StructVector<DateTime>(column, capacity)
{
    private static readonly long EpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Unspecified).Ticks;
    private readonly bool _withZone = column.Type.Kind == ColumnKind.TimestampTz;

    internal override string? Parse(ReadOnlySpan<char> text, int row)
    {
        if (TemporalText.TryParseTimestamp(text, _withZone, out var micros, out var tooPrecise))
        {
            var ticks = EpochTicks + (micros * 10);
            if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks)
                return $"{Quote(text)} is out of range for {Column.Type.ToSql()}";
            Data[row] = new DateTime(ticks, _withZone ? DateTimeKind.Utc : DateTimeKind.Unspecified);
            return null;
        }
        return tooPrecise
            ? $"{Quote(text)} has more than 6 fractional second digits; {Column.Type.ToSql()} keeps microseconds"
            : _withZone
                ? $"{Quote(text)} is not a valid timestamptz (expected YYYY-MM-DD HH:MM[:SS[.ffffff]][Z|+HH[:MM]])"
                : $"{Quote(text)} is not a valid timestamp (expected YYYY-MM-DD HH:MM[:SS[.ffffff]])";
    }

    /// <summary>Sets a value read from a binary format, normalising its kind to this column's meaning.</summary>
    internal void Set(DateTime value, int row) =>
        Data[row] = _withZone
            ? (value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc))
            : DateTime.SpecifyKind(value, DateTimeKind.Unspecified);

    internal override string Text(int row) => Format(Data[row]!.Value, ' ');

    internal override void WriteJson(int row, Utf8JsonWriter writer) => writer.WriteStringValue(Format(Data[row]!.Value, 'T'));

    private string Format(DateTime value, char separator)
    {
        var fraction = value.Ticks % TimeSpan.TicksPerSecond;
        var text = value.ToString(fraction == 0 ? $"yyyy-MM-dd'{separator}'HH:mm:ss" : $"yyyy-MM-dd'{separator}'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        if (fraction != 0) text = text.TrimEnd('0');
        return _withZone ? text + "Z" : text;
    }
}
