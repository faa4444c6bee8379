namespace Sluice.Pipelines;

/// <summary>
/// Which pipeline takes an object: exactly one (<see cref="Pipeline"/>), none, or several, which is a
/// configuration error the operator must fix rather than a choice Sluice makes silently.
/// </summary>
/// <param name="Bucket">The bucket the object arrived in.</param>
/// <param name="Key">The object key that was matched.</param>
/// <param name="Matches">Every pipeline whose bucket and pattern match, in catalog order.</param>
public sealed record RouteResult(string Bucket, string Key, IReadOnlyList<Pipeline> Matches)
{
    /// <summary>The pipeline to run, when exactly one matches.</summary>
    public Pipeline? Pipeline => Matches.Count == 1 ? Matches[0] : null;

    public bool IsMatched => Matches.Count == 1;

    public bool IsUnmatched => Matches.Count == 0;

    public bool IsAmbiguous => Matches.Count > 1;

    /// <summary>A sentence for logs and job records saying what happened, naming pipelines and their files.</summary>
    public string Message
    {
        get
        {
            var subject = $"key {MessageText.Quote(Key)} in bucket {MessageText.Quote(Bucket)}";
            if (Matches.Count == 0) return $"{subject} matches no pipeline";
            var named = Matches.Select(p => $"{p.Name} ({p.SourceFile})").ToList();
            if (Matches.Count == 1) return $"{subject} matches pipeline {named[0]}";
            var list = string.Join(", ", named.Take(named.Count - 1)) + " and " + named[^1];
            return $"{subject} matches pipelines {list}; make the match patterns disjoint";
        }
    }

    public override string ToString() => Message;
}
