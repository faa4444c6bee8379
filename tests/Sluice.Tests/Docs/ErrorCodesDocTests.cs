using System.Text.RegularExpressions;

namespace Sluice.Tests.Docs;

/// <summary>
/// docs/errors.md lists every error code a user can meet: each code raised in src/ has a row there, and each row names a
/// code src/ still raises. Codes built at run time (<c>postgres.&lt;sqlstate&gt;</c>) are rows whose name holds <c>&lt;</c>.
/// </summary>
public class ErrorCodesDocTests
{
    private const string Code = @"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*";
    private const string Dotted = @"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+";

    /// <summary>Every way src/ gives an error its code; the code is the group named <c>code</c> (or <c>other</c>).</summary>
    private static readonly Regex[] Raised =
    [
        new($@"new (?:Errors\.)?(?:SluiceException|DataFileException|CsvFileException|TransformException|StageFailure|LeaseLostException)\(\s*""(?<code>{Dotted})"""),
        new($@": SluiceException\(\s*""(?<code>{Dotted})"""),
        // Target-typed: a method returning the exception builds it with new("area.name", ...).
        new($@"\bnew\(\s*""(?<code>{Dotted})""\s*,"),
        new($@"\bnew\([^;""]*\?\s*""(?<code>{Dotted})""\s*:\s*""(?<other>{Dotted})"""),
        // HTTP answers: ApiError.Result(404, "code", ...), ApiError.WriteAsync(ctx, 400, ...), AccessControl's Refuse(ctx, 401, ...).
        new($@"(?:ApiError\.Result|ApiError\.WriteAsync|Refuse)\((?:ctx,\s*)?\d{{3}},\s*""(?<code>{Code})"""),
        // Status tables: 404 => ("not_found", ...) and exception translations: JsonException => (400, "request.json", ...).
        new($@"\b\d{{3}} => \(""(?<code>{Code})"""),
        new($@"=> \((?:\d{{3}}|\w+\.StatusCode), ""(?<code>{Code})"""),
        new($@"QueryNumber\.Read(?:Optional)?\([^,]+,\s*""[^""]*"",\s*""(?<code>{Dotted})"""),
        // An error body written by hand as JSON text, as the event stream's "revoked" event is: \"code\": \"auth.revoked\".
        new($@"\\""code\\"":\s*\\""(?<code>{Dotted})\\"""),
    ];

    /// <summary>Codes built at run time from a fixed area: "internal." + type, $"postgres.{sqlState}", ("http." + status, ...).</summary>
    private static readonly Regex[] Built =
    [
        new(@"new (?:Errors\.)?SluiceException\(\s*(?:""(?<area>[a-z_]+)\.""\s*\+|\$""(?<area>[a-z_]+)\.\{)"),
        new(@"=> \(""(?<area>[a-z_]+)\.""\s*\+"),
    ];

    private static readonly Regex DocRow = new(@"^\|\s*`(?<code>[^`]+)`\s*\|", RegexOptions.Multiline);

    [Fact]
    public void Every_error_code_raised_in_src_is_documented()
    {
        var documented = DocumentedCodes();
        var missing = RaisedCodes().Keys.Where(c => !documented.Contains(c)).Order().ToList();
        Assert.True(missing.Count == 0,
            $"docs/errors.md has no row for {string.Join(", ", missing.Select(c => $"{c} ({RaisedCodes()[c]})"))}; " +
            "add one (code | transient? | what it means | what to do).");
    }

    [Fact]
    public void Every_code_built_at_run_time_has_a_pattern_row()
    {
        var patterns = DocumentedCodes().Where(c => c.Contains('<')).Select(c => c[..c.IndexOf('.')]).ToHashSet();
        var missing = BuiltAreas().Where(a => !patterns.Contains(a)).Order().ToList();
        Assert.True(missing.Count == 0, $"docs/errors.md has no pattern row (area.<...>) for codes built as {string.Join(", ", missing)}.<...>.");
    }

    [Fact]
    public void Every_documented_code_is_raised_in_src()
    {
        var raised = RaisedCodes();
        var built = BuiltAreas();
        var stale = DocumentedCodes()
            .Where(c => c.Contains('<') ? !built.Contains(c[..c.IndexOf('.')]) : !raised.ContainsKey(c))
            .Order().ToList();
        Assert.True(stale.Count == 0, $"docs/errors.md documents {string.Join(", ", stale)}, which src/ no longer raises; remove the rows.");
    }

    [Fact]
    public void The_scan_finds_the_codes_of_each_kind_of_construction()
    {
        // Guards the regexes: if a refactoring renamed a constructor, the first test would pass by finding nothing.
        var raised = RaisedCodes();
        Assert.All(
            ["source.gzip_corrupt", "csv.missing_column", "csv.not_csv", "jsonl.not_json_lines", "schema.invalid",
             "rejects.threshold", "lease.lost", "auth.required", "auth.revoked", "request.malformed", "request.json", "internal", "jobs.limit"],
            code => Assert.True(raised.ContainsKey(code), $"the scan of src/ no longer finds {code}"));
        Assert.Contains("postgres", BuiltAreas());
    }

    /// <summary>Each code raised in src/, with the first file that raises it.</summary>
    private static Dictionary<string, string> RaisedCodes()
    {
        var codes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, text) in SourceFiles())
            foreach (var regex in Raised)
                foreach (Match m in regex.Matches(text))
                    foreach (var group in new[] { m.Groups["code"], m.Groups["other"] })
                        if (group.Success) codes.TryAdd(group.Value, path);
        return codes;
    }

    private static HashSet<string> BuiltAreas() =>
        SourceFiles().SelectMany(f => Built.SelectMany(r => r.Matches(f.Text)).Select(m => m.Groups["area"].Value)).ToHashSet();

    private static HashSet<string> DocumentedCodes() =>
        DocRow.Matches(File.ReadAllText(Path.Combine(Repository.Root, "docs", "errors.md")))
            .Select(m => m.Groups["code"].Value)
            .Where(c => c != "code")
            .ToHashSet(StringComparer.Ordinal);

    private static IEnumerable<(string Path, string Text)> SourceFiles()
    {
        var src = Path.Combine(Repository.Root, "src");
        var sep = Path.DirectorySeparatorChar;
        return Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{sep}bin{sep}") && !p.Contains($"{sep}obj{sep}"))
            .Select(p => (Path.GetRelativePath(src, p), File.ReadAllText(p)));
    }
}
