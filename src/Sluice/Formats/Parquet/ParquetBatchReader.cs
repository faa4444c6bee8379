using Parquet;
using Parquet.Data;
using Parquet.File.Values.Primitives;
using Parquet.Schema;
using Sluice.Formats.Vectors;
using Sluice.Pipelines;

namespace Sluice.Formats.Parquet;

/// <summary>
/// Reads a Parquet file one row group at a time into <see cref="ColumnBatch"/>es: memory holds one row group whatever
/// the file size. Any encoding and compression Parquet.Net decodes is accepted (plain, dictionary, RLE, delta;
/// snappy, gzip, zstd, lz4, brotli). Rows are numbered from 1 in file order (<see cref="ColumnBatch.Lines"/>).
/// </summary>
public sealed partial class ParquetBatchReader : IBatchReader
{
    private readonly ParquetReader _reader;
    private readonly DataField[] _fields;
    private readonly DataField[] _readAs;
    private readonly bool[] _dropsZone;
    private int _nextGroup;
    private Array[]? _group;
    private int _groupRows;
    private int _groupOffset;
    private long _rowNumber;

    private ParquetBatchReader(ParquetReader reader, DataField[] fields, IReadOnlyList<ColumnDefinition> columns)
    {
        _reader = reader;
        _fields = fields;
        _readAs = fields.Select(RawField).ToArray();
        // A column of instants (TIMESTAMP adjusted to UTC) read as a timestamp without time zone would load as UTC
        // clock times, its zone dropped: refused, as a CSV or JSON value with a zone is in a timestamp column.
        _dropsZone = fields.Select((f, c) => columns[c].Type.Kind == ColumnKind.Timestamp
            && ParquetSchemaMapping.FromParquet(f).Type.Kind == ColumnKind.TimestampTz).ToArray();
        Columns = columns;
        RowCount = reader.RowGroups.Sum(g => g.RowCount);
        RowGroupCount = reader.RowGroupCount;
    }

    /// <summary>
    /// The field a column is read through. Parquet.Net reads DECIMAL wider than 28 digits into <see cref="decimal"/>
    /// (which overflows) unless asked for <see cref="BigDecimal"/>, nanosecond timestamps into 100 ns ticks, and JSON
    /// as bytes; for
    /// those columns the same column is read as its exact values instead, through a field of the same name and levels.
    /// </summary>
    private static DataField RawField(DataField field)
    {
        DataField? raw = field switch
        {
            DecimalDataField d when d.Precision > DecimalVector.MaxPrecision && d.ClrType == typeof(decimal) =>
                new DecimalDataField(d.Name, d.Precision, d.Scale, isNullable: d.IsNullable, clrType: typeof(BigDecimal)),
            DateTimeDataField { DateTimeFormat: DateTimeFormat.Timestamp, Unit: DateTimeTimeUnit.Nanos } t => new DataField(t.Name, typeof(long), t.IsNullable),
            DateTimeDataField { DateTimeFormat: DateTimeFormat.Impala } t => new DataField(t.Name, typeof(Interval), t.IsNullable),
            _ when ParquetSchemaMapping.IsJson(field) => new DataField(field.Name, typeof(string), field.IsNullable),
            _ => null,
        };
        if (raw is null) return field;
        _ = new ParquetSchema(raw); // gives the field its path and definition level, as in the file's flat schema
        return raw;
    }

    /// <inheritdoc />
    public IReadOnlyList<ColumnDefinition> Columns { get; }

    /// <summary>Rows in the file (from its footer; the file's own, when it is read through a re-cut copy).</summary>
    public long RowCount { get; private init; }

    /// <summary>Row groups in the file (its own, when it is read through a re-cut copy).</summary>
    public int RowGroupCount { get; private init; }

    /// <summary>Opens a file and maps its schema; a declared <paramref name="schema"/> must name the file's columns in order.</summary>
    /// <param name="skipOtherColumns">Whether a declared schema instead names the columns to read, by name and in any
    /// order, the file's others skipped (a load that takes some of the columns, as a CSV load skips header columns
    /// outside its schema; they need not be of a type Sluice reads); see <see cref="SkippedColumns"/>.</param>
    /// <exception cref="DataFileException">The file is not Parquet, has nested or unsupported columns, or does not match the schema.</exception>
    /// <param name="regroupInto">A folder for a re-cut copy of a file whose row groups are too large to decode whole
    /// (see <see cref="ParquetRegrouping"/>); without one, such a file is read as it is, up to the limit.</param>
    /// <param name="sampleRows">Only this many first rows are wanted (a file being inspected): a re-cut copies no more.</param>
    public static async Task<ParquetBatchReader> OpenAsync(string path, IReadOnlyList<ColumnDefinition>? schema, CancellationToken ct,
        bool skipOtherColumns = false, string? regroupInto = null, long? sampleRows = null)
    {
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(path, new ParquetOptions { UseDateOnlyTypeForDates = true }, ct);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            throw new DataFileException("parquet.unreadable", null, $"the file is not a readable Parquet file: {e.Message}");
        }
        catch (Exception e) when (IsCorruption(e))
        {
            throw Corrupt("its footer (schema and row groups)", null, e);
        }
        ParquetBatchReader opened;
        try
        {
            opened = Open(reader, schema, skipOtherColumns);
        }
        catch
        {
            await reader.DisposeAsync();
            throw;
        }
        try
        {
            return await opened.RegroupedAsync(path, regroupInto, sampleRows, ct);
        }
        catch
        {
            await opened.DisposeAsync();
            throw;
        }
    }

    private static ParquetBatchReader Open(ParquetReader reader, IReadOnlyList<ColumnDefinition>? schema, bool skipOtherColumns)
    {
        if (schema is not null && skipOtherColumns) return Selecting(reader, schema);
        var columns = ParquetSchemaMapping.FromParquet(SchemaOf(reader));
        CheckColumnChunks(reader);
        if (schema is not null)
        {
            if (!schema.Select(c => c.Name).SequenceEqual(columns.Select(c => c.Name), StringComparer.Ordinal))
                throw new DataFileException("parquet.schema_mismatch", null,
                    $"the file's columns ({string.Join(", ", columns.Select(c => c.Name))}) are not the schema's ({string.Join(", ", schema.Select(c => c.Name))}).");
            columns = schema;
        }
        return new ParquetBatchReader(reader, reader.Schema.GetDataFields(), columns);
    }

    /// <summary>The file's columns outside the schema, skipped (<c>skipOtherColumns</c>), in file order.</summary>
    public IReadOnlyList<string> SkippedColumns { get; private init; } = [];

    /// <summary>A reader of the file's columns that <paramref name="schema"/> names, found by name.</summary>
    private static ParquetBatchReader Selecting(ParquetReader reader, IReadOnlyList<ColumnDefinition> schema)
    {
        var fields = SchemaOf(reader).Fields;
        CheckColumnChunks(reader);
        var read = new DataField[schema.Count];
        for (var c = 0; c < schema.Count; c++)
        {
            var name = schema[c].Name;
            var field = fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal))
                        ?? throw new DataFileException("parquet.schema_mismatch", null,
                            $"the schema's column '{name}' is not in the file, whose columns are {string.Join(", ", fields.Select(f => f.Name))}; " +
                            "declare only columns the file has (names match exactly, case included).");
            ParquetSchemaMapping.FromParquet(field); // a nested column the schema names is refused by name
            read[c] = (DataField)field;
        }
        return new ParquetBatchReader(reader, read, schema)
        {
            SkippedColumns = fields.Select(f => f.Name).Where(n => !schema.Any(c => c.Name == n)).ToList(),
        };
    }

    /// <summary>
    /// Every row group must hold one column chunk per column of the schema, for the same columns in the same order: a
    /// damaged schema element can still decode (a column's type or child count changed), and the reader would then go
    /// on without a column, or read one column's values as another's.
    /// </summary>
    private static void CheckColumnChunks(ParquetReader reader)
    {
        var paths = reader.Schema.GetDataFields().Select(f => string.Join('.', f.Path.ToList())).ToList();
        var groups = reader.Metadata?.RowGroups ?? [];
        for (var g = 0; g < groups.Count; g++)
        {
            var chunks = groups[g].Columns.Select(c => c.MetaData is { } m ? string.Join('.', m.PathInSchema) : "?").ToList();
            if (!chunks.SequenceEqual(paths, StringComparer.Ordinal))
                throw new DataFileException("parquet.corrupt", null,
                    $"the Parquet file is damaged: its schema names the columns {string.Join(", ", paths)}, but row group {g + 1} holds " +
                    $"{string.Join(", ", chunks)}; produce the file again or replace it with an intact copy.");
        }
    }

    /// <summary>The file's schema, decoded from the footer on first use: damaged schema elements throw only here.</summary>
    private static ParquetSchema SchemaOf(ParquetReader reader)
    {
        try
        {
            return reader.Schema;
        }
        catch (Exception e) when (IsCorruption(e))
        {
            throw Corrupt("its footer (schema and row groups)", null, e);
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> ReadAsync(ColumnBatch batch, Action<RejectedRow> rejected, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(rejected);
        batch.Count = 0;
        while (!batch.IsFull)
        {
            if (_group is null || _groupOffset == _groupRows)
            {
                if (_nextGroup >= _reader.RowGroupCount) break;
                await LoadGroupAsync(_nextGroup++, ct);
                continue;
            }
            var take = Math.Min(batch.Capacity - batch.Count, _groupRows - _groupOffset);
            for (var c = 0; c < _fields.Length; c++)
            {
                if (_dropsZone[c]) RefuseInstants(_group[c], _groupOffset, batch.Vectors[c], take);
                Copy(_group[c], _groupOffset, batch.Vectors[c], batch.Count, take, rejected);
            }
            for (var i = 0; i < take; i++) batch.Lines[batch.Count + i] = ++_rowNumber;
            batch.Count += take;
            _groupOffset += take;
        }
        return batch.Count > 0;
    }

    private async Task LoadGroupAsync(int index, CancellationToken ct)
    {
        RefuseIfTooLarge(index);
        try
        {
            await LoadGroupColumnsAsync(index, ct);
        }
        catch (Exception e) when (IsCorruption(e))
        {
            var (number, count, first) = SourceGroup(index);
            throw Corrupt($"row group {number} of {count}", first, e);
        }
    }

    /// <summary>
    /// Whether an exception out of Parquet.Net or a decompressor means the bytes are damaged (a bad Thrift header, a
    /// checksum or a zstd, snappy or gzip frame that does not decode, a truncated page). Other I/O errors are not: they
    /// stay transient, as the disk or mount may recover.
    /// </summary>
    private static bool IsCorruption(Exception e) =>
        e is not (DataFileException or OperationCanceledException or OutOfMemoryException) && (e is not IOException || e is EndOfStreamException);

    private static DataFileException Corrupt(string part, long? row, Exception e) =>
        new("parquet.corrupt", row,
            $"the Parquet file is damaged: {part} cannot be decoded ({e.Message}); produce the file again or replace it with an intact copy.");

    private async Task LoadGroupColumnsAsync(int index, CancellationToken ct)
    {
        using var group = _reader.OpenRowGroupReader(index);
        var rows = checked((int)group.RowCount);
        var arrays = new Array[_fields.Length];
        for (var c = 0; c < _fields.Length; c++)
        {
            try
            {
                arrays[c] = await ReadColumnAsync(group, c, rows, ct);
            }
            // Parquet.Net converts dates and timestamps to .NET's, which end at years 1 and 9999: a value past them (the
            // infinity DuckDB and Spark write, as the lowest or highest number) is not damage, and is named as such.
            catch (ArgumentOutOfRangeException) when (_readAs[c].ClrType == typeof(DateOnly) || _readAs[c].ClrType == typeof(DateTime))
            {
                var (number, _, first) = SourceGroup(index);
                throw new DataFileException("parquet.out_of_range", first,
                    $"column '{_fields[c].Name}' holds a date or timestamp in row group {number} (rows from {first:N0}) outside " +
                    "the years 1 to 9999 Sluice reads, such as the infinity some writers store as the lowest or highest value; " +
                    "replace such values where the file is written (with NULL or a date in range).");
            }
        }
        _group = arrays;
        _groupRows = rows;
        _groupOffset = 0;
    }

    private async Task<Array> ReadColumnAsync(ParquetRowGroupReader group, int c, int rows, CancellationToken ct)
    {
        var f = _readAs[c];
        return f.ClrType switch
        {
            var t when t == typeof(BigDecimal) => await Read<BigDecimal>(group, f, rows, ct),
            var t when t == typeof(Interval) => ParquetTimestamps.FromInt96(await Read<Interval>(group, f, rows, ct), f.Name, _rowNumber + 1),
            var t when t == typeof(long) && _fields[c] is DateTimeDataField source =>
                ParquetTimestamps.FromNanos(await Read<long>(group, f, rows, ct), source.IsAdjustedToUTC, f.Name, _rowNumber + 1),
            var t when t == typeof(string) || t == typeof(ReadOnlyMemory<char>) => await ReadStrings(group, f, rows, ct),
            var t when t == typeof(Guid) => await Read<Guid>(group, f, rows, ct),
            var t when t == typeof(bool) => await Read<bool>(group, f, rows, ct),
            var t when t == typeof(sbyte) => await Read<sbyte>(group, f, rows, ct),
            var t when t == typeof(byte) => await Read<byte>(group, f, rows, ct),
            var t when t == typeof(short) => await Read<short>(group, f, rows, ct),
            var t when t == typeof(ushort) => await Read<ushort>(group, f, rows, ct),
            var t when t == typeof(int) => await Read<int>(group, f, rows, ct),
            var t when t == typeof(uint) => await Read<uint>(group, f, rows, ct),
            var t when t == typeof(long) => await Read<long>(group, f, rows, ct),
            var t when t == typeof(ulong) => await Read<ulong>(group, f, rows, ct),
            var t when t == typeof(decimal) => await Read<decimal>(group, f, rows, ct),
            var t when t == typeof(float) => await Read<float>(group, f, rows, ct),
            var t when t == typeof(double) => await Read<double>(group, f, rows, ct),
            var t when t == typeof(DateOnly) => await Read<DateOnly>(group, f, rows, ct),
            var t when t == typeof(DateTime) => await Read<DateTime>(group, f, rows, ct),
            var t => throw new DataFileException("parquet.unsupported_column", null, $"column '{f.Name}' has Parquet type {t.Name}, which Sluice cannot convert yet."),
        };
    }

    private static async Task<string?[]> ReadStrings(ParquetRowGroupReader group, DataField field, int rows, CancellationToken ct)
    {
        var values = new string?[rows];
        await group.ReadAsync(field, values.AsMemory()!, null, ct);
        return values;
    }

    private static async Task<T?[]> Read<T>(ParquetRowGroupReader group, DataField field, int rows, CancellationToken ct) where T : struct
    {
        var values = new T?[rows];
        if (field.IsNullable)
        {
            await group.ReadAsync<T>(field, values.AsMemory(), null, ct);
            return values;
        }
        var required = new T[rows];
        await group.ReadAsync<T>(field, required.AsMemory(), null, ct);
        for (var i = 0; i < rows; i++) values[i] = required[i];
        return values;
    }

    private void Copy(Array source, int from, ColumnVector target, int to, int count, Action<RejectedRow> rejected)
    {
        switch (target, source)
        {
            case (TimestampVector v, DateTime?[] s):
                for (var i = 0; i < count; i++)
                {
                    if (s[from + i] is { } t) v.Set(t, to + i);
                    else v.SetNull(to + i);
                }
                return;
            case (StringVector { ChecksJson: false } v, string?[] s): Array.Copy(s, from, v.Data, to, count); return;
            case (StructVector<decimal> v, decimal?[] s): Array.Copy(s, from, v.Data, to, count); return;
            case (WideDecimalVector v, BigDecimal?[] s):
                for (var i = 0; i < count; i++)
                {
                    if (s[from + i] is not { } d) v.SetNull(to + i);
                    else if (v.Set(d.UnscaledValue, d.Scale, to + i) is { } reason) throw Mismatch(i, v, reason);
                }
                return;
            case (StructVector<short> v, short?[] s): Array.Copy(s, from, v.Data, to, count); return;
            case (StructVector<int> v, int?[] s): Array.Copy(s, from, v.Data, to, count); return;
            case (StructVector<long> v, long?[] s): Array.Copy(s, from, v.Data, to, count); return;
            case (StructVector<Guid> v, Guid?[] s): Array.Copy(s, from, v.Data, to, count); return;
            case (StructVector<bool> v, bool?[] s): Array.Copy(s, from, v.Data, to, count); return;
            case (StructVector<float> v, float?[] s): Array.Copy(s, from, v.Data, to, count); return;
            case (StructVector<double> v, double?[] s): Array.Copy(s, from, v.Data, to, count); return;
            case (StructVector<DateOnly> v, DateOnly?[] s): Array.Copy(s, from, v.Data, to, count); return;
            case (StructVector<short> v, sbyte?[] s): Widen(s, from, v.Data, to, count, x => x); return;
            case (StructVector<short> v, byte?[] s): Widen(s, from, v.Data, to, count, x => x); return;
            case (StructVector<int> v, ushort?[] s): Widen(s, from, v.Data, to, count, x => x); return;
            case (StructVector<long> v, uint?[] s): Widen(s, from, v.Data, to, count, x => x); return;
            case (StructVector<decimal> v, ulong?[] s): Widen(s, from, v.Data, to, count, x => x); return;
            default:
                // A declared schema whose types differ from the file's: go through the canonical text.
                for (var i = 0; i < count; i++)
                {
                    var value = source.GetValue(from + i);
                    if (value is null) { target.SetNull(to + i); continue; }
                    var text = value switch
                    {
                        DateTime d => d.ToString("yyyy-MM-dd HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture),
                        DateOnly d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                        _ => value.ToString() ?? "",
                    };
                    // Refused, not rejected: a Parquet column has one type, so one bad value means the schema is wrong.
                    // Only text is written as the column's format says: a typed value's text here is canonical.
                    if ((value is string ? target.ParseField(text, to + i) : target.Parse(text, to + i)) is { } reason)
                        throw Mismatch(i, target, $"{reason.TrimEnd('.')}; the file's column holds values the declared {target.Column.Type.ToSql()} " +
                                                  "cannot: declare a type that holds them (the file's own, when the schema is left out), or leave the column out of the schema");
                }
                return;
        }
    }

    private void RefuseInstants(Array source, int from, ColumnVector target, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (source.GetValue(from + i) is null) continue;
            throw Mismatch(i, target,
                "the file holds instants (timestamp with time zone) and the column is timestamp without time zone, which " +
                "would keep them as UTC clock times and drop their zone; load the column as timestamptz (declare it so, or " +
                "alter the table's column to timestamptz)");
        }
    }

    /// <summary>The value <paramref name="offset"/> rows into the rows being copied does not fit its column.</summary>
    private DataFileException Mismatch(int offset, ColumnVector target, string reason) =>
        new("parquet.schema_mismatch", _rowNumber + offset + 1, $"row {_rowNumber + offset + 1}, column '{target.Column.Name}': {reason}.");

    private static void Widen<TFrom, TTo>(TFrom?[] source, int from, TTo?[] target, int to, int count, Func<TFrom, TTo> widen)
        where TFrom : struct where TTo : struct
    {
        for (var i = 0; i < count; i++) target[to + i] = source[from + i] is { } v ? widen(v) : null;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _reader.DisposeAsync();
}
