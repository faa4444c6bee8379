using System.Collections.Concurrent;
using System.Reflection;

namespace Sluice.Control;

/// <summary>Named SQL files embedded in an assembly (<c>{prefix}{name}.sql</c>), read once and cached.</summary>
public sealed class EmbeddedSql(Assembly assembly, string prefix)
{
    private readonly ConcurrentDictionary<string, string> _cache = new();

    public string Get(string name) => _cache.GetOrAdd(name, n =>
    {
        using var stream = assembly.GetManifestResourceStream($"{prefix}{n}.sql")
            ?? throw new InvalidOperationException($"no query named {n}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
