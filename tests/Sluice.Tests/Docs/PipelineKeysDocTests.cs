using System.Text.RegularExpressions;

namespace Sluice.Tests.Docs;

/// <summary>
/// docs/pipelines.md (with docs/convert.md for a convert pipeline's target) shows every key the pipeline reader accepts,
/// and every value of a key that takes one of a few words.
/// </summary>
public class PipelineKeysDocTests
{
    /// <summary>The reader's lists: <c>private static readonly string[] ChunkKeys = ["rows", "bytes", ...];</c>.</summary>
    private static readonly Regex List = new(@"static readonly string\[\] (?<name>\w+) =\s*\[(?<items>[^\]]*)\]");

    private static readonly Regex Item = new(@"""(?<item>[^""]+)""");

    [Fact]
    public void Every_key_the_reader_accepts_is_documented()
    {
        var docs = Docs();
        var missing = Lists().Where(l => l.Name.EndsWith("Keys", StringComparison.Ordinal))
            .SelectMany(l => l.Items.Select(key => (l.Name, key)))
            .Where(k => !Regex.IsMatch(docs, $@"(?<![\w.]){Regex.Escape(k.key)}:"))
            .Select(k => $"{k.key} ({k.Name})").ToList();
        Assert.True(missing.Count == 0, $"docs/pipelines.md and docs/convert.md show no key:value for {string.Join(", ", missing)}; document each key with its default.");
    }

    [Fact]
    public void Every_value_the_reader_accepts_is_documented()
    {
        var docs = Docs();
        var missing = Lists().Where(l => !l.Name.EndsWith("Keys", StringComparison.Ordinal))
            .SelectMany(l => l.Items.Select(value => (l.Name, value)))
            .Where(v => !Regex.IsMatch(docs, $@"(?<![\w.]){Regex.Escape(v.value)}(?![\w])"))
            .Select(v => $"{v.value} ({v.Name})").ToList();
        Assert.True(missing.Count == 0, $"docs/pipelines.md and docs/convert.md do not name {string.Join(", ", missing)}.");
    }

    [Fact]
    public void The_scan_finds_the_reader_lists()
    {
        var names = Lists().Select(l => l.Name).ToList();
        Assert.All(["TopKeys", "SourceKeys", "TargetKeys", "ChunkKeys", "ConvertTargetKeys", "Modes", "KeyedLoads", "Compressions"],
            n => Assert.Contains(n, names));
    }

    private static List<(string Name, List<string> Items)> Lists() =>
        Directory.EnumerateFiles(Path.Combine(Repository.Root, "src", "Sluice", "Pipelines"), "PipelineYamlReader*.cs")
            .SelectMany(p => List.Matches(File.ReadAllText(p)))
            .Select(m => (m.Groups["name"].Value, Item.Matches(m.Groups["items"].Value).Select(i => i.Groups["item"].Value).ToList()))
            .ToList();

    private static string Docs() =>
        File.ReadAllText(Path.Combine(Repository.Root, "docs", "pipelines.md")) + "\n" + File.ReadAllText(Path.Combine(Repository.Root, "docs", "convert.md"));
}
