using System.Globalization;
using Parquet.File.Values.Primitives;

namespace Sluice.Formats.Parquet;

/// <summary>
/// Nanosecond timestamps of other writers (TIMESTAMP(NANOS), legacy INT96) read from their raw values. Parquet.Net
/// turns them into <see cref="DateTime"/>, whose 100 ns ticks would drop the last digits without a word; Sluice keeps
/// timestamps to the microsecond (PostgreSQL's precision), so a value with sub-microsecond digits is refused, naming
/// its row and column, and every other value converts exactly.
/// </summary>
internal static class ParquetTimestamps
{
    private const long JulianDayOfUnixEpoch = 2_440_588;
    private const long NanosPerTick = 100;
    private const long NanosPerMicro = 1_000;

    /// <summary>TIMESTAMP(NANOS): nanoseconds since 1970-01-01.</summary>
    /// <exception cref="DataFileException">A value has nanoseconds that are not whole microseconds.</exception>
    public static DateTime?[] FromNanos(long?[] values, bool utc, string column, long firstRow)
    {
        var result = new DateTime?[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is not { } nanos) continue;
            var seconds = Math.DivRem(nanos, 1_000_000_000L, out var fraction);
            if (fraction < 0) { seconds--; fraction += 1_000_000_000L; }
            if (fraction % NanosPerMicro != 0) throw SubMicrosecond(column, firstRow + i, DateTime.UnixEpoch.AddTicks(seconds * TimeSpan.TicksPerSecond), fraction);
            result[i] = DateTime.SpecifyKind(DateTime.UnixEpoch.AddTicks(seconds * TimeSpan.TicksPerSecond).AddTicks(fraction / NanosPerTick), utc ? DateTimeKind.Utc : DateTimeKind.Unspecified);
        }
        return result;
    }

    /// <summary>
    /// INT96 (Impala, older Spark): 8 bytes of nanoseconds of the day, then 4 bytes of Julian day, little-endian. Read
    /// through <see cref="Interval"/>, the one 12-byte value Parquet.Net decodes as it is: its months and days are the
    /// low and high halves of the nanoseconds, its milliseconds the Julian day.
    /// </summary>
    /// <exception cref="DataFileException">A value has nanoseconds that are not whole microseconds.</exception>
    public static DateTime?[] FromInt96(Interval?[] values, string column, long firstRow)
    {
        var result = new DateTime?[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is not { } raw) continue;
            var nanosOfDay = ((long)raw.Days << 32) | (uint)raw.Months;
            var day = DateTime.UnixEpoch.AddDays(raw.Millis - JulianDayOfUnixEpoch);
            var fraction = nanosOfDay % 1_000_000_000L;
            if (fraction % NanosPerMicro != 0)
                throw SubMicrosecond(column, firstRow + i, day.AddTicks(nanosOfDay / 1_000_000_000L * TimeSpan.TicksPerSecond), fraction);
            result[i] = day.AddTicks(nanosOfDay / NanosPerTick);
        }
        return result;
    }

    private static DataFileException SubMicrosecond(string column, long row, DateTime wholeSecond, long nanos) =>
        new("parquet.sub_microsecond", row,
            $"row {row}, column '{column}': {wholeSecond.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}.{nanos:D9} has " +
            "nanoseconds; Sluice converts timestamps to the microsecond (as PostgreSQL keeps them) and never drops digits — " +
            "round the column to microseconds where the file is written (DuckDB: CAST(column AS TIMESTAMP)).");
}
