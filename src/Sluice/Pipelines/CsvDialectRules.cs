namespace Sluice.Pipelines;

/// <summary>
/// How a CSV dialect is written by a user — a pipeline's <c>source:</c> and <c>target:</c> keys and the command line's
/// options share these words and checks — and what a dialect Sluice writes must satisfy to read back the same.
/// </summary>
public static class CsvDialectRules
{
    /// <summary>How to write a dialect character, for messages.</summary>
    public const string CharacterHint = "write one character; a tab as \"\\t\" or tab";

    /// <summary>One character; a tab may be written <c>\t</c> or <c>tab</c> (any case). Null when the text is none of
    /// these, or is a line break (records end there, so no field could be split by it).</summary>
    public static char? Character(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text is @"\t" || text.Equals("tab", StringComparison.OrdinalIgnoreCase)) return '\t';
        return text.Length == 1 && text[0] is not ('\r' or '\n') ? text[0] : null;
    }

    /// <summary>The message for a delimiter equal to the quote, which makes every quoted field ambiguous.</summary>
    public static string DelimiterIsQuote(char delimiter) =>
        $"delimiter and quote are both {MessageText.Quote(delimiter.ToString())}; they must differ: choose another quote or another delimiter";

    /// <summary>
    /// Why a dialect to write a file in could not be read back to the same values, as (key, message); null when it can.
    /// The delimiter and quote are single characters other than a line break (see <see cref="Character"/>); the null
    /// text is written unquoted, so it must not hold the delimiter, the quote or a line break.
    /// </summary>
    public static (string Key, string Message)? WriteProblem(CsvOptions csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        if (csv.Delimiter == csv.Quote) return ("delimiter", DelimiterIsQuote(csv.Delimiter));
        if (csv.Delimiter is '\r' or '\n') return ("delimiter", $"cannot be a line break; {CharacterHint}");
        if (csv.Quote is '\r' or '\n') return ("quote", $"cannot be a line break; {CharacterHint}");
        var nullText = csv.NullMarkers.Count > 0 ? csv.NullMarkers[0] : "";
        if (nullText.AsSpan().IndexOfAny([csv.Delimiter, csv.Quote, '\r', '\n']) >= 0)
        {
            return ("null", $"{MessageText.Quote(nullText)} holds the delimiter, the quote or a line break, so a null written " +
                            "unquoted would not read back as one field; choose a null text without them, such as NULL or \\N");
        }
        return null;
    }
}
