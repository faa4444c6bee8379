using System.Text.RegularExpressions;

namespace Sluice.Tests.Docs;

/// <summary>
/// README.md's configuration reference names every environment variable Sluice reads, and each row of its table
/// names one that src/ still reads.
/// </summary>
public class EnvironmentDocTests
{
    /// <summary>A variable's name as a whole string literal in src/ ("SLUICE_HOME"), however it is then read.</summary>
    private static readonly Regex Read = new(@"""(?<name>SLUICE_[A-Z0-9_]+)""");

    private static readonly Regex TableRow = new(@"^\|\s*`(?<name>SLUICE_[A-Z0-9_]+)`\s*\|", RegexOptions.Multiline);

    [Fact]
    public void Every_variable_read_in_src_is_named_in_the_readme()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var missing = ReadVariables().Where(v => !readme.Contains($"`{v}", StringComparison.Ordinal)).Order().ToList();
        Assert.True(missing.Count == 0, $"README.md does not name {string.Join(", ", missing)}; add it to the configuration reference.");
    }

    [Fact]
    public void Every_variable_in_the_readme_table_is_read_in_src()
    {
        var read = ReadVariables();
        var table = TableRow.Matches(File.ReadAllText(Path.Combine(Repository.Root, "README.md"))).Select(m => m.Groups["name"].Value).ToList();
        Assert.NotEmpty(table);
        var stale = table.Where(v => !read.Contains(v)).Order().ToList();
        Assert.True(stale.Count == 0, $"README.md's configuration reference lists {string.Join(", ", stale)}, which src/ does not read; remove the rows.");
    }

    [Fact]
    public void The_scan_finds_variables_read_each_way()
    {
        // Guards the regex: read through SluiceSettings' Env(...), directly, and by the server options.
        var read = ReadVariables();
        Assert.All(["SLUICE_HOME", "SLUICE_LEASE_SECONDS", "SLUICE_LOG_LEVEL", "SLUICE_MAX_UPLOAD_MB", "SLUICE_PG_BIN", "SLUICE_LISTEN"],
            v => Assert.Contains(v, read));
    }

    private static HashSet<string> ReadVariables()
    {
        var src = Path.Combine(Repository.Root, "src");
        var sep = Path.DirectorySeparatorChar;
        return Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{sep}bin{sep}") && !p.Contains($"{sep}obj{sep}"))
            .SelectMany(p => Read.Matches(File.ReadAllText(p)).Select(m => m.Groups["name"].Value))
            .ToHashSet(StringComparer.Ordinal);
    }
}
