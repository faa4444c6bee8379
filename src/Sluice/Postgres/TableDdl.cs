using System.Text;
using Sluice.Pipelines;

namespace Sluice.Postgres;

/// <summary>Writes the DDL that creates a load target when it does not exist yet.</summary>
public static class TableDdl
{
    /// <summary>
    /// The column Sluice fills with the job id on every row it loads, so that replaying a job can
    /// first delete exactly the rows that job loaded.
    /// </summary>
    public const string LineageColumn = "_sluice_job_id";

    /// <summary>
    /// Returns <c>CREATE SCHEMA IF NOT EXISTS ...; CREATE TABLE IF NOT EXISTS ... (...);</c> with every
    /// identifier quoted. Key columns are declared <c>NOT NULL</c> and form the primary key.
    /// </summary>
    /// <param name="schema">The target schema.</param>
    /// <param name="table">The target table.</param>
    /// <param name="columns">The columns in order.</param>
    /// <param name="key">Primary key columns (each must be one of <paramref name="columns"/>); empty for none.</param>
    /// <param name="includeLineageColumn">Whether to add <see cref="LineageColumn"/> <c>uuid</c> as the last column.</param>
    /// <exception cref="ArgumentException">No columns, or a key column is not a column.</exception>
    public static string CreateTableScript(string schema, string table, IReadOnlyList<ColumnDefinition> columns, IReadOnlyList<string> key, bool includeLineageColumn)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(key);
        if (columns.Count == 0)
        {
            throw new ArgumentException("A table needs at least one column.", nameof(columns));
        }

        foreach (var keyColumn in key)
        {
            if (!columns.Any(c => c.Name == keyColumn))
            {
                throw new ArgumentException($"Key column '{keyColumn}' is not one of the table's columns.", nameof(key));
            }
        }

        var sql = new StringBuilder();
        sql.Append("CREATE SCHEMA IF NOT EXISTS ").Append(PgIdentifier.Quote(schema)).Append(";\n");
        sql.Append("CREATE TABLE IF NOT EXISTS ").Append(PgIdentifier.QualifiedName(schema, table)).Append(" (\n");
        var lines = new List<string>();
        foreach (var column in columns)
        {
            var notNull = !column.Nullable || key.Contains(column.Name) ? " NOT NULL" : "";
            lines.Add($"    {PgIdentifier.Quote(column.Name)} {column.Type.ToSql()}{notNull}");
        }

        if (includeLineageColumn)
        {
            lines.Add($"    {PgIdentifier.Quote(LineageColumn)} uuid");
        }

        if (key.Count > 0)
        {
            lines.Add($"    PRIMARY KEY ({string.Join(", ", key.Select(PgIdentifier.Quote))})");
        }

        sql.AppendJoin(",\n", lines).Append("\n);\n");
        return sql.ToString();
    }
}
