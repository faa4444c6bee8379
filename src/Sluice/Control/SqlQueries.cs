namespace Sluice.Control;

/// <summary>The control plane's named queries, one <c>Queries/name.sql</c> file each, embedded in the assembly.</summary>
internal static class SqlQueries
{
    private static readonly EmbeddedSql Files = new(typeof(SqlQueries).Assembly, "Sluice.Queries.");

    public static string Get(string name) => Files.Get(name);
}
