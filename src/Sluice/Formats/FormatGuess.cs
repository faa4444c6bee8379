using System.Globalization;
using Sluice.Pipelines;

namespace Sluice.Formats;

/// <summary>
/// For <c>sluice inspect</c>: a column read as text whose every sampled value fits a common date or number format
/// (<c>02.12.2026</c>, <c>1.234,56</c>) gets the schema entry that would read it typed (<see cref="ValueFormat"/>).
/// Only a suggestion, shown to the user: inference itself never guesses formats, since <c>03/04/2026</c> and
/// <c>1,234</c> each have two readings.
/// </summary>
public static class FormatGuess
{
    private static readonly (ColumnKind Kind, string Pattern)[] Temporal =
    [
        (ColumnKind.Date, "dd.MM.yyyy"), (ColumnKind.Date, "dd/MM/yyyy"), (ColumnKind.Date, "MM/dd/yyyy"), (ColumnKind.Date, "dd-MM-yyyy"),
        (ColumnKind.Date, "d.M.yyyy"),
        (ColumnKind.Timestamp, "dd.MM.yyyy HH:mm:ss"), (ColumnKind.Timestamp, "dd.MM.yyyy HH:mm"), (ColumnKind.Timestamp, "dd.MM.yyyy HH:mm:ss.FFFFFF"),
        (ColumnKind.Timestamp, "dd/MM/yyyy HH:mm:ss.FFFFFF"),
        (ColumnKind.Timestamp, "dd/MM/yyyy HH:mm:ss"), (ColumnKind.Timestamp, "dd/MM/yyyy HH:mm"),
        (ColumnKind.Timestamp, "MM/dd/yyyy HH:mm:ss"), (ColumnKind.Timestamp, "MM/dd/yyyy HH:mm"),
    ];

    private static readonly (char Decimal, char? Group)[] Numbers = [(',', '.'), (',', ' '), (',', '\''), (',', null), ('.', ','), ('.', '\''), ('.', ' ')];

    /// <summary>The schema entries that would read <paramref name="values"/> (a text column's non-null sample) typed,
    /// most likely first; empty when none fits every value. Two date readings that both fit (every day 12 or less) are
    /// both given.</summary>
    public static IReadOnlyList<string> For(IReadOnlyCollection<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) return [];
        var fits = Temporal.Where(t => values.All(v => Fits(new ValueFormat(t.Pattern), t.Kind, v))).ToList();
        // d.M.yyyy reads two-digit days too: named only when some day or month has one digit.
        if (fits.Exists(t => t.Pattern == "dd.MM.yyyy")) fits.RemoveAll(t => t.Pattern == "d.M.yyyy");
        if (fits.Count > 0)
            return fits.Select(t => $"{{ type: {(t.Kind == ColumnKind.Date ? "date" : "timestamp")}, format: \"{t.Pattern}\" }}").ToList();
        foreach (var (point, group) in Numbers)
        {
            var format = new ValueFormat(Decimal: point, Group: group);
            // The separators must show in the values: plain digits were read as numbers already.
            if (!values.Any(v => v.Contains(point) || group is { } g && v.Contains(g))) continue;
            if (group is { } used && !values.Any(v => v.Contains(used))) continue;
            if (!values.All(v => Fits(format, ColumnKind.Numeric, v))) continue;
            var scale = values.Max(v => v.Contains(point) ? v.Length - v.LastIndexOf(point) - 1 : 0);
            return [$"{{ type: \"numeric(18,{scale})\", decimal: \"{point}\"{(group is { } gr ? $", group: {(gr == ' ' ? "space" : $"\"{gr}\"")}" : "")} }}"];
        }
        return [];
    }

    /// <summary>The suggestions for each text column of <paramref name="reader"/>, from its first <paramref name="rows"/>
    /// rows (rows it rejects are passed over); only columns with one.</summary>
    public static async Task<IReadOnlyList<(string Column, IReadOnlyList<string> Declare)>> ForTextColumnsAsync(IBatchReader reader, int rows,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var text = reader.Columns.Select((c, i) => (c, i)).Where(p => p.c.Type.Kind == ColumnKind.Text).ToList();
        if (text.Count == 0) return [];
        var values = text.Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToList();
        var ruledOut = new bool[text.Count];
        var batch = new ColumnBatch(reader.Columns, Math.Min(rows, 1024));
        for (var seen = 0; seen < rows && await reader.ReadAsync(batch, _ => { }, ct);)
        {
            for (var row = 0; row < batch.Count && seen < rows; row++, seen++)
            {
                for (var t = 0; t < text.Count; t++)
                {
                    var vector = batch.Vectors[text[t].i];
                    if (ruledOut[t] || vector.IsNull(row)) continue;
                    var value = vector.Show(row);
                    // A value this long is no date or number: the column gets no suggestion, and its values are not kept.
                    if (value.Length > 64) (ruledOut[t], values[t]) = (true, []);
                    else values[t].Add(value);
                }
            }
        }
        return text.Select((p, t) => (p.c.Name, ruledOut[t] ? [] : For(values[t]))).Where(g => g.Item2.Count > 0).ToList();
    }

    private static bool Fits(ValueFormat format, ColumnKind kind, string value)
    {
        var canonical = new char[ValueFormat.Room(value)];
        if (format.Canonical(value, kind, canonical, out var length) is not null) return false;
        return kind != ColumnKind.Numeric
               || decimal.TryParse(canonical.AsSpan(0, length), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _);
    }
}
