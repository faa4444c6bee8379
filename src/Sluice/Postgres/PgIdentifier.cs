namespace Sluice.Postgres;

/// <summary>
/// Quotes PostgreSQL identifiers. Sluice quotes every identifier it puts in SQL, because table and
/// column names come from pipelines and CSV headers, which are untrusted.
/// </summary>
public static class PgIdentifier
{
    /// <summary>Returns <paramref name="name"/> in double quotes with inner double quotes doubled.</summary>
    /// <exception cref="ArgumentException">The name is empty or contains NUL, which no identifier may hold.</exception>
    public static string Quote(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            throw new ArgumentException("An identifier cannot be empty.", nameof(name));
        }

        if (name.Contains('\0'))
        {
            throw new ArgumentException("An identifier cannot contain a NUL character.", nameof(name));
        }

        return $"\"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
    }

    /// <summary>Returns <c>"schema"."table"</c>, both parts quoted.</summary>
    public static string QualifiedName(string schema, string table) => $"{Quote(schema)}.{Quote(table)}";
}
