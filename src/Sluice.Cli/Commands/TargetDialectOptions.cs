using System.CommandLine;
using Sluice.Errors;
using Sluice.Formats;
using Sluice.Pipelines;

namespace Sluice.Cli.Commands;

/// <summary>
/// The dialect options of <c>convert</c>'s CSV output, read with the words and checks of a pipeline's <c>target:</c>
/// keys (<see cref="CsvDialectRules"/>): the output's dialect is its own, never the input's.
/// </summary>
internal sealed class TargetDialectOptions
{
    public Option<string?> Delimiter { get; } = new("--delimiter")
    {
        Description = "CSV output: the delimiter, one character; a tab as \\t or tab (default: a comma, or a tab for a .tsv output or --to tsv).",
    };

    public Option<string?> Quote { get; } = new("--quote")
    {
        Description = "CSV output: the quote character (default \"); a quote inside a quoted value is doubled.",
    };

    public Option<bool> NoHeader { get; } = new("--no-header") { Description = "CSV output: write no header line (default: a header line)." };

    public Option<string?> Null { get; } = new("--null")
    {
        Description = "CSV output: the text written for a null, unquoted (default: an empty field; an empty string is always written \"\").",
    };

    /// <summary>The output's dialect; a usage error when an option is given for another format or the dialect could not
    /// read back what it writes.</summary>
    public CsvOptions Read(ParseResult parse, string? to, string outPath, DataFormat format)
    {
        var given = new (string Name, bool Given)[]
        {
            ("--delimiter", parse.GetValue(Delimiter) is not null), ("--quote", parse.GetValue(Quote) is not null),
            ("--no-header", parse.GetValue(NoHeader)), ("--null", parse.GetValue(Null) is not null),
        };
        if (format != DataFormat.Csv)
        {
            if (given.FirstOrDefault(g => g.Given) is { Name: { } name })
                throw new SluiceException("cli.usage",
                    $"{name} applies to CSV output; {outPath} is written as {DataFormatNames.Name(format)}. Leave it out, or convert --to csv.");
            return CsvOptions.Default;
        }

        var tsv = (to ?? Path.GetExtension(outPath)).Trim().TrimStart('.').Equals("tsv", StringComparison.OrdinalIgnoreCase);
        var csv = tsv ? CsvOptions.Tab : CsvOptions.Default;
        if (parse.GetValue(Delimiter) is { } delimiter) csv = csv with { Delimiter = Character("--delimiter", delimiter) };
        if (parse.GetValue(Quote) is { } quote) csv = csv with { Quote = Character("--quote", quote), Escape = Character("--quote", quote) };
        if (parse.GetValue(NoHeader)) csv = csv with { Header = false };
        if (parse.GetValue(Null) is { } nullText) csv = csv with { NullMarkers = [nullText] };
        if (CsvDialectRules.WriteProblem(csv) is { } problem)
        {
            var option = problem.Key == "delimiter" && parse.GetValue(Delimiter) is null ? "--quote" : "--" + problem.Key;
            throw new SluiceException("cli.usage", $"{option}: {problem.Message}.");
        }
        return csv;
    }

    private static char Character(string option, string text) =>
        CsvDialectRules.Character(text)
        ?? throw new SluiceException("cli.usage", $"{option} '{text}' is not a single character; {CsvDialectRules.CharacterHint}.");
}
