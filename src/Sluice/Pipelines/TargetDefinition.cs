namespace Sluice.Pipelines;

/// <summary>Where a load pipeline writes: a table, how, and whether Sluice may create it.</summary>
/// <param name="Schema">The PostgreSQL schema, <c>public</c> when the pipeline names none.</param>
/// <param name="Table">The table name, unquoted (Sluice always quotes identifiers).</param>
/// <param name="Mode">append, replace or upsert.</param>
/// <param name="Key">The key columns for upsert (and the not-null key of the table).</param>
/// <param name="Create">Create the table when missing.</param>
/// <param name="Database">A connection URL for the target; null means the control-plane database.</param>
public sealed record TargetDefinition(
    string Schema,
    string Table,
    LoadMode Mode = LoadMode.Append,
    IReadOnlyList<string>? Key = null,
    bool Create = true,
    string? Database = null)
{
    public IReadOnlyList<string> KeyColumns => Key ?? [];
}
