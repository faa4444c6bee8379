using Parquet.Schema;
using Sluice.Formats.Vectors;
using Sluice.Pipelines;

namespace Sluice.Formats.Parquet;

/// <summary>
/// Maps Sluice column types to Parquet fields and back. Written: numeric(p,s) → DECIMAL(p,s) (INT32/INT64/fixed bytes by
/// precision, up to 38 digits), timestamp → TIMESTAMP(MICROS, isAdjustedToUTC=false), timestamptz → TIMESTAMP(MICROS, true), date → DATE,
/// uuid → UUID, text/json → STRING, integers → INT(16/32/64). Read: the same, plus the types other writers use
/// (unsigned integers, INT96 and millisecond or nanosecond timestamps). Nested fields are refused by name.
/// </summary>
public static class ParquetSchemaMapping
{
    /// <summary>The Parquet schema Sluice writes for <paramref name="columns"/>.</summary>
    /// <exception cref="DataFileException">A column's type cannot be written exactly (an unconstrained or too wide numeric).</exception>
    public static ParquetSchema ToParquet(IReadOnlyList<ColumnDefinition> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        return new ParquetSchema(columns.Select(ToField).ToArray<Field>());
    }

    private static DataField ToField(ColumnDefinition column)
    {
        var name = column.Name;
        var type = column.Type;
        return type.Kind switch
        {
            ColumnKind.Text or ColumnKind.Varchar or ColumnKind.Char or ColumnKind.Json or ColumnKind.Jsonb => new DataField<string>(name, true),
            ColumnKind.Uuid => new DataField<Guid?>(name),
            ColumnKind.Boolean => new DataField<bool?>(name),
            ColumnKind.SmallInt => new DataField<short?>(name),
            ColumnKind.Int => new DataField<int?>(name),
            ColumnKind.BigInt => new DataField<long?>(name),
            ColumnKind.Numeric when type.Precision is { } p && p <= DecimalVector.MaxPrecision =>
                new DecimalDataField(name, p, type.Scale ?? 0, forceByteArrayEncoding: false, isNullable: true),
            // Wider than System.Decimal: FIXED_LEN_BYTE_ARRAY (13 to 16 bytes), the unscaled value in two's complement, big-endian.
            ColumnKind.Numeric when type.Precision is { } p && p <= WideDecimalVector.MaxPrecision =>
                new BigDecimalDataField(name, p, type.Scale ?? 0, isNullable: true),
            ColumnKind.Numeric => throw new DataFileException("parquet.numeric_unbounded", null,
                $"column '{name}' is {type.ToSql()}; Parquet DECIMAL needs a precision and scale of at most {WideDecimalVector.MaxPrecision} digits — declare it as numeric(p,s) in the schema."),
            ColumnKind.Real => new DataField<float?>(name),
            ColumnKind.Double => new DataField<double?>(name),
            ColumnKind.Date => new DataField<DateOnly?>(name),
            ColumnKind.Timestamp => new DateTimeDataField(name, DateTimeFormat.Timestamp, isAdjustedToUTC: false, unit: DateTimeTimeUnit.Micros, isNullable: true),
            ColumnKind.TimestampTz => new DateTimeDataField(name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: true),
            _ => throw new ArgumentOutOfRangeException(nameof(column), type.Kind, null),
        };
    }

    /// <summary>The Sluice columns of a Parquet file's schema.</summary>
    /// <exception cref="DataFileException">A field is nested (struct, list, map) or of a type Sluice cannot hold.</exception>
    public static IReadOnlyList<ColumnDefinition> FromParquet(ParquetSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return schema.Fields.Select(FromParquet).ToList();
    }

    /// <summary>The Sluice column of one top-level field of a Parquet file's schema.</summary>
    /// <exception cref="DataFileException">The field is nested (struct, list, map) or of a type Sluice cannot hold.</exception>
    public static ColumnDefinition FromParquet(Field field)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (field is not DataField data || data.IsArray)
        {
            var kind = field switch { StructField => "a struct", ListField => "a list", MapField => "a map", _ => "a repeated field" };
            throw new DataFileException("parquet.nested_column", null,
                $"column '{field.Name}' is {kind}; Sluice converts flat columns only (nested types are not supported yet) — select or flatten the other columns first.");
        }
        return new ColumnDefinition(data.Name, TypeOf(data), Nullable: true);
    }

    private static ColumnType TypeOf(DataField field)
    {
        switch (field)
        {
            case DecimalDataField d:
                return d.Precision <= WideDecimalVector.MaxPrecision
                    ? new ColumnType(ColumnKind.Numeric, Precision: d.Precision, Scale: d.Scale)
                    : throw Unsupported(field, $"DECIMAL({d.Precision},{d.Scale}), wider than the {WideDecimalVector.MaxPrecision} digits Sluice converts exactly");
            case DateTimeDataField t:
                return t.DateTimeFormat == DateTimeFormat.Date
                    ? new ColumnType(ColumnKind.Date)
                    : new ColumnType(t.IsAdjustedToUTC ? ColumnKind.TimestampTz : ColumnKind.Timestamp);
            // Stored as a number of milli-, micro- or nanoseconds since midnight: read as an integer it would load as
            // a number that no longer says it is a time of day.
            case TimeDataField:
                throw Unsupported(field, "a time of day (Parquet TIME), which has no Sluice type",
                    "cast it to text where the file is written (DuckDB: CAST(col AS VARCHAR)) or drop it");
        }

        var clr = field.ClrType;
        if (IsJson(field)) return new ColumnType(ColumnKind.Json);
        if (clr == typeof(string) || clr == typeof(ReadOnlyMemory<char>)) return ColumnType.Text;
        if (clr == typeof(bool)) return new ColumnType(ColumnKind.Boolean);
        if (clr == typeof(sbyte) || clr == typeof(byte) || clr == typeof(short)) return new ColumnType(ColumnKind.SmallInt);
        if (clr == typeof(ushort) || clr == typeof(int)) return new ColumnType(ColumnKind.Int);
        if (clr == typeof(uint) || clr == typeof(long)) return ColumnType.BigInt;
        if (clr == typeof(ulong)) return new ColumnType(ColumnKind.Numeric, Precision: 20, Scale: 0);
        if (clr == typeof(float)) return new ColumnType(ColumnKind.Real);
        if (clr == typeof(double)) return new ColumnType(ColumnKind.Double);
        if (clr == typeof(Guid)) return new ColumnType(ColumnKind.Uuid);
        if (clr == typeof(DateOnly)) return new ColumnType(ColumnKind.Date);
        if (clr == typeof(DateTime)) return new ColumnType(ColumnKind.Timestamp);
        if (clr == typeof(ReadOnlyMemory<byte>) || clr == typeof(byte[]))
            throw Unsupported(field, "of Parquet BYTE_ARRAY values not marked as UTF-8 text or JSON (binary)",
                "cast it to text where the file is written (DuckDB: CAST(col AS VARCHAR)) or drop it");
        throw Unsupported(field, $"of Parquet type {clr.Name}");
    }

    /// <summary>Whether the field holds JSON text (logical type JSON, as DuckDB writes its JSON columns): Parquet.Net
    /// reads it as bytes, so it is read through a string field of the same name (see <c>ParquetBatchReader</c>).</summary>
    internal static bool IsJson(DataField field) =>
        field.SchemaElement is { } element && (element.LogicalType?.JSON is not null || element.ConvertedType == global::Parquet.Meta.ConvertedType.JSON);

    private static DataFileException Unsupported(DataField field, string what, string advice = "drop or cast the column first") =>
        new("parquet.unsupported_column", null, $"column '{field.Name}' is {what}; Sluice cannot convert it yet — {advice}.");
}
