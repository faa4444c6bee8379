using System.Collections.Concurrent;
using System.Reflection;

namespace Sluice.Server;

/// <summary>The server's named read queries, one <c>Queries/name.sql</c> file each, embedded in the assembly.</summary>
internal static class ServerQueries
{
    private static readonly ConcurrentDictionary<string, string> Cache = new();

    public static string Get(string name) => Cache.GetOrAdd(name, static n =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Sluice.Server.Queries.{n}.sql")
            ?? throw new InvalidOperationException($"no query named {n}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
