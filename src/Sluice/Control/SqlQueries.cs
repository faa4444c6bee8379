using System.Collections.Concurrent;
using System.Reflection;

namespace Sluice.Control;

/// <summary>The control plane's named queries, one <c>Queries/name.sql</c> file each, embedded in the assembly.</summary>
internal static class SqlQueries
{
    private static readonly ConcurrentDictionary<string, string> Cache = new();

    public static string Get(string name) => Cache.GetOrAdd(name, static n =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Sluice.Queries.{n}.sql")
            ?? throw new InvalidOperationException($"no query named {n}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
