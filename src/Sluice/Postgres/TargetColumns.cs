using Sluice.Errors;
using Sluice.Pipelines;

namespace Sluice.Postgres;

/// <summary>
/// Checks an existing target table against the columns a load was encoded for, before any row goes in. Binary COPY
/// hands each value's bytes to the column type's own receive function, which cannot tell what they were written as:
/// a <c>date</c> read into an <c>integer</c> column becomes a number, a <c>timestamp</c> read as <c>timestamptz</c>
/// moves in time, and a <c>numeric(14,2)</c> value read into <c>numeric(14,1)</c> is rounded. So every loaded column
/// must be in the table, with the declared type or one that holds every value of it unchanged.
/// </summary>
public static class TargetColumns
{
    /// <summary>What the catalog query says of an enum or a string type of an extension (citext): its values are read
    /// from text.</summary>
    public const string TextLike = "text-like";

    /// <summary>Throws <c>target.columns</c>, naming every column that is missing or does not agree and what to do,
    /// unless each of <paramref name="columns"/> can go into <paramref name="table"/> as it is.</summary>
    /// <param name="tableColumns">The table's columns: name and type as the catalog query spells it
    /// (<see cref="Stages.Load.TargetStatements.TableColumnsAsync"/>).</param>
    public static void Check(string table, string pipeline, IReadOnlyList<ColumnDefinition> columns, IReadOnlyDictionary<string, string> tableColumns)
    {
        var problems = new List<string>();
        foreach (var column in columns)
        {
            var name = PgIdentifier.Quote(column.Name);
            if (!tableColumns.TryGetValue(column.Name, out var actual))
                problems.Add($"{table} has no column {name} (the pipeline loads it as {column.Type.ToSql()}): add it, or leave it out of the schema");
            else if (Disagreement(column.Type, actual) is { } why)
                problems.Add($"column {name} is {(actual == TextLike ? "an enum or text type" : actual)} in the table, but the pipeline reads it as {column.Type.ToSql()}: {why}");
        }
        if (problems.Count == 0) return;
        throw new SluiceException("target.columns",
            $"table {table} does not match pipeline {pipeline}, so nothing was loaded: {string.Join("; ", problems)}. " +
            "Make the pipeline's schema declare the table's types (a pipeline without a schema takes them from the table) and " +
            "replay the job from transform, or alter the table and replay from load.");
    }

    /// <summary>Why a value read as <paramref name="declared"/> cannot go into a column of type <paramref name="actual"/>
    /// unchanged; null when it can.</summary>
    public static string? Disagreement(ColumnType declared, string actual)
    {
        if (actual == TextLike)
            return declared.Kind is ColumnKind.Text or ColumnKind.Varchar or ColumnKind.Char ? null : "declare it text";
        if (SchemaType(actual) is not { } column)
            return "Sluice loads only the types a schema can declare (a column with a precision such as timestamp(3) would round the values)";
        if (column.ToSql() == declared.ToSql()) return null;
        return (declared.Kind, column.Kind) switch
        {
            (ColumnKind.Numeric, ColumnKind.Numeric) => NumericDisagreement(declared, column),
            (ColumnKind.Text or ColumnKind.Varchar, ColumnKind.Text) => null,
            (ColumnKind.Text, ColumnKind.Varchar) when column.Length is null => null,
            (ColumnKind.Varchar, ColumnKind.Varchar) when column.Length is null || declared.Length is { } n && n <= column.Length =>
                null,
            (ColumnKind.Varchar, ColumnKind.Varchar) when declared.Length is { } n => $"values of up to {n} characters do not fit in {column.Length}",
            (ColumnKind.Text or ColumnKind.Varchar, ColumnKind.Varchar) => $"text of any length does not fit in {column.Length} characters",
            _ => $"the values would be stored as {column.ToSql()} bytes, not converted",
        };
    }

    /// <summary>A table column's type (as the catalog query spells it) as a schema would declare it; null when no
    /// declared type loads into it unchanged that way.</summary>
    public static ColumnType? SchemaType(string actual)
    {
        if (actual == TextLike || actual == "bpchar") return ColumnType.Text;
        // Microseconds are what Sluice writes: timestamp(6) keeps them all.
        actual = actual.Replace("timestamp(6)", "timestamp", StringComparison.Ordinal);
        return ColumnTypeParser.TryParse(actual, out var type, out _) ? type : null;
    }

    /// <summary>A value of numeric(p,s) fits unchanged in an unconstrained numeric, or in numeric(P,S) with at least as
    /// many decimals and as many digits before the point.</summary>
    private static string? NumericDisagreement(ColumnType declared, ColumnType column)
    {
        if (column.Precision is null) return null;
        if (declared.Precision is not { } p)
            return $"any number of decimals would be rounded to {column.Scale ?? 0}";
        var (s, scale) = (declared.Scale ?? 0, column.Scale ?? 0);
        if (scale < s) return $"values with {s} decimals would be rounded to {scale}";
        if (column.Precision - scale < p - s) return $"values with {p - s} digits before the point do not fit in {column.Precision - scale}";
        return null;
    }
}
