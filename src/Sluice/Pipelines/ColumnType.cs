namespace Sluice.Pipelines;

/// <summary>
/// A column's declared type. <see cref="Length"/> applies to varchar/char; <see cref="Precision"/>
/// and <see cref="Scale"/> to numeric (both null means unconstrained numeric).
/// </summary>
public sealed record ColumnType(ColumnKind Kind, int? Length = null, int? Precision = null, int? Scale = null)
{
    public static readonly ColumnType Text = new(ColumnKind.Text);
    public static readonly ColumnType BigInt = new(ColumnKind.BigInt);

    /// <summary>Parses a type as a pipeline schema writes it; see <see cref="ColumnTypeParser"/>.</summary>
    public static ColumnType Parse(string text) => ColumnTypeParser.Parse(text);

    /// <summary>The type as PostgreSQL DDL spells it, e.g. <c>numeric(14,2)</c>.</summary>
    public string ToSql() => Kind switch
    {
        ColumnKind.Text => "text",
        ColumnKind.Varchar => Length is { } n ? $"varchar({n})" : "varchar",
        ColumnKind.Char => $"char({Length ?? 1})",
        ColumnKind.SmallInt => "smallint",
        ColumnKind.Int => "integer",
        ColumnKind.BigInt => "bigint",
        ColumnKind.Numeric => Precision is { } p ? $"numeric({p},{Scale ?? 0})" : "numeric",
        ColumnKind.Real => "real",
        ColumnKind.Double => "double precision",
        ColumnKind.Boolean => "boolean",
        ColumnKind.Date => "date",
        ColumnKind.Timestamp => "timestamp",
        ColumnKind.TimestampTz => "timestamptz",
        ColumnKind.Uuid => "uuid",
        ColumnKind.Json => "json",
        ColumnKind.Jsonb => "jsonb",
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, null),
    };

    public override string ToString() => ToSql();
}
