namespace Sluice.Pipelines;

/// <summary>One problem found in a pipeline definition, located precisely enough to fix it.</summary>
/// <param name="File">The YAML file (or the pipelines directory for directory-level problems).</param>
/// <param name="Line">1-based line, or 0 when the problem has no position (a missing directory).</param>
/// <param name="Column">1-based column, or 0 with <paramref name="Line"/>.</param>
/// <param name="Key">The key path, e.g. <c>target.mode</c> or <c>notify[0].webhook</c>; empty for the whole file.</param>
/// <param name="Message">What is wrong and, where it helps, what is accepted.</param>
public sealed record PipelineError(string File, int Line, int Column, string Key, string Message)
{
    /// <summary>The <c>file:line:col: key: message</c> form editors and terminals link to.</summary>
    public override string ToString()
    {
        var location = Line > 0 ? $"{File}:{Line}:{Column}" : File;
        return Key.Length > 0 ? $"{location}: {Key}: {Message}" : $"{location}: {Message}";
    }
}
