using System.Globalization;
using System.Text;
using Sluice.Pipelines;

namespace Sluice.Formats.Csv;

/// <summary>
/// Guesses a CSV file's dialect from its first 64 KiB: encoding (a BOM, or UTF-16 by its zero bytes; else the given
/// encoding), delimiter (the one of <c>, ; tab |</c> splitting the most lines into the same number of fields), and
/// whether the first line is a header (its fields are unique non-numbers while later lines hold numbers or dates in
/// the same columns, or every line is text). LF and CRLF are both read whatever is guessed. Latin-1 cannot be told
/// from UTF-8 reliably, so it is taken only when declared.
/// </summary>
public static class CsvDialectSniffer
{
    private const int SampleBytes = 64 * 1024;
    private static readonly char[] Delimiters = [',', ';', '\t', '|'];

    /// <summary>The dialect of <paramref name="path"/>, starting from <paramref name="declared"/> (its quote, escape, nulls and sample size are kept).</summary>
    /// <param name="keepDelimiter">Whether <paramref name="declared"/>'s delimiter is kept (a pipeline's <c>tsv</c>), not guessed.</param>
    public static CsvOptions Detect(string path, CsvOptions declared, bool keepDelimiter = false)
    {
        ArgumentNullException.ThrowIfNull(declared);
        var bytes = new byte[SampleBytes];
        int n;
        using (var stream = File.OpenRead(path)) n = stream.ReadAtLeast(bytes, SampleBytes, throwOnEndOfStream: false);
        var sample = bytes.AsSpan(0, n);
        var encoding = EncodingOf(sample) ?? declared.Encoding;
        var text = Encoding.GetEncoding(encoding).GetString(sample).TrimStart('\uFEFF');
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
        if (n == SampleBytes && lines.Count > 1) lines.RemoveAt(lines.Count - 1); // probably cut in the middle
        if (lines.Count == 0) return declared with { Encoding = encoding };

        var delimiter = keepDelimiter ? declared.Delimiter : Delimiters
            .Select(d => (d, counts: lines.Select(l => Fields(l, d, declared.Quote).Count).ToList()))
            .Where(x => x.counts[0] > 1)
            .OrderByDescending(x => x.counts.Count(c => c == x.counts[0]))
            .ThenByDescending(x => x.counts[0])
            .Select(x => (char?)x.d)
            .FirstOrDefault() ?? declared.Delimiter;
        return declared with { Encoding = encoding, Delimiter = delimiter, Header = LooksLikeHeader(lines, delimiter, declared.Quote) };
    }

    private static string? EncodingOf(ReadOnlySpan<byte> sample)
    {
        if (sample.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) return "utf-8";
        if (sample.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) return "utf-16";
        if (sample.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) return "utf-16BE";
        if (sample.Length >= 4)
        {
            int evenZeros = 0, oddZeros = 0;
            for (var i = 0; i + 1 < Math.Min(sample.Length, 4096); i += 2)
            {
                if (sample[i] == 0) evenZeros++;
                if (sample[i + 1] == 0) oddZeros++;
            }
            var pairs = Math.Min(sample.Length, 4096) / 2;
            if (oddZeros > pairs / 2 && evenZeros == 0) return "utf-16";
            if (evenZeros > pairs / 2 && oddZeros == 0) return "utf-16BE";
        }
        return null;
    }

    private static bool LooksLikeHeader(List<string> lines, char delimiter, char quote)
    {
        var first = Fields(lines[0], delimiter, quote);
        if (first.Any(IsValue)) return false;
        var named = first.All(f => f.Length > 0) && first.Distinct(StringComparer.Ordinal).Count() == first.Count;
        if (lines.Count == 1) return named;
        // A header is told apart by a column whose later values are numbers or dates; all-text files keep the default.
        var rows = lines.Skip(1).Take(50).Select(l => Fields(l, delimiter, quote)).Where(r => r.Count == first.Count).ToList();
        if (rows.Count == 0) return named;
        var typedColumn = Enumerable.Range(0, first.Count).Any(c =>
            rows.Any(r => r[c].Length > 0) && rows.All(r => r[c].Length == 0 || IsValue(r[c])));
        // Above typed columns, a line with an empty or repeated name is still the header: the header check then names the
        // problem, where taking it for data turned the header into a row of text and every column into text, silently.
        return typedColumn || (named && rows.All(r => r.All(f => !IsValue(f))));
    }

    private static bool IsValue(string field) =>
        decimal.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ||
        DateTime.TryParse(field, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    /// <summary>Splits one line honouring quotes (a sample only: fields spanning lines are cut, which is fine for counting).</summary>
    private static List<string> Fields(string line, char delimiter, char quote)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == quote)
            {
                if (quoted && i + 1 < line.Length && line[i + 1] == quote) { sb.Append(c); i++; }
                else quoted = !quoted;
            }
            else if (c == delimiter && !quoted) { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(c);
        }
        fields.Add(sb.ToString());
        return fields;
    }
}
