namespace Sluice.Pipelines;

/// <summary>
/// The set of pipelines Sluice runs, and the router deciding which one takes a new object.
/// Pipeline names are unique, and no two pipelines watch the same bucket with the same pattern.
/// </summary>
public sealed class PipelineCatalog
{
    private readonly Dictionary<string, Pipeline> _byName;
    private readonly Dictionary<string, List<(Pipeline Pipeline, KeyGlob Glob)>> _byBucket;

    /// <summary>
    /// A catalog of <paramref name="pipelines"/>; throws <see cref="PipelineException"/> when two share
    /// a name or a bucket and pattern. <see cref="PipelineLoader"/> is the usual way to build one.
    /// </summary>
    public PipelineCatalog(IEnumerable<Pipeline> pipelines)
        : this(pipelines.Select(LocatedPipeline.Unlocated).ToList())
    {
    }

    internal PipelineCatalog(IReadOnlyList<LocatedPipeline> pipelines)
    {
        var conflicts = FindConflicts(pipelines);
        if (conflicts.Count > 0) throw new PipelineException(conflicts);

        All = pipelines.Select(p => p.Pipeline).ToList();
        _byName = All.ToDictionary(p => p.Name, StringComparer.Ordinal);
        _byBucket = All
            .GroupBy(p => p.Bucket, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(p => (p, new KeyGlob(p.Match))).ToList(), StringComparer.Ordinal);
        InputBuckets = _byBucket.Keys.Order(StringComparer.Ordinal).ToList();
    }

    public static PipelineCatalog Empty { get; } = new(Array.Empty<Pipeline>());

    /// <summary>Every pipeline, in the order loaded (file name order for a directory).</summary>
    public IReadOnlyList<Pipeline> All { get; }

    /// <summary>The buckets some pipeline watches, sorted, each once.</summary>
    public IReadOnlyList<string> InputBuckets { get; }

    public Pipeline? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The pipelines whose bucket is <paramref name="bucket"/> and whose pattern matches <paramref name="key"/>.</summary>
    public RouteResult Route(string bucket, string key)
    {
        if (!_byBucket.TryGetValue(bucket, out var candidates)) return new RouteResult(bucket, key, []);
        var matches = candidates.Where(c => c.Glob.IsMatch(key)).Select(c => c.Pipeline).ToList();
        return new RouteResult(bucket, key, matches);
    }

    /// <summary>Errors for the second of two pipelines sharing a name, or a bucket and an identical pattern.</summary>
    internal static List<PipelineError> FindConflicts(IReadOnlyList<LocatedPipeline> pipelines)
    {
        var errors = new List<PipelineError>();
        var byName = new Dictionary<string, LocatedPipeline>(StringComparer.Ordinal);
        var byRoute = new Dictionary<(string, string), LocatedPipeline>();
        foreach (var located in pipelines)
        {
            var p = located.Pipeline;
            if (byName.TryGetValue(p.Name, out var first))
            {
                errors.Add(new PipelineError(p.SourceFile, located.NameLine, located.NameColumn, "name",
                    $"pipeline {MessageText.Quote(p.Name)} is also defined in {Where(first.Pipeline.SourceFile, first.NameLine)}; pipeline names must be unique"));
            }
            else
            {
                byName.Add(p.Name, located);
            }

            if (byRoute.TryGetValue((p.Bucket, p.Match), out var other))
            {
                errors.Add(new PipelineError(p.SourceFile, located.MatchLine, located.MatchColumn, "on.match",
                    $"pipelines {p.Name} and {other.Pipeline.Name} ({Where(other.Pipeline.SourceFile, other.MatchLine)}) both take " +
                    $"bucket {MessageText.Quote(p.Bucket)} with match {MessageText.Quote(p.Match)}; make the match patterns disjoint"));
            }
            else
            {
                byRoute.Add((p.Bucket, p.Match), located);
            }
        }
        return errors;
    }

    private static string Where(string file, int line) => line > 0 ? $"{file}:{line}" : file;
}
