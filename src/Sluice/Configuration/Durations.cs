using System.Globalization;
using System.Text.RegularExpressions;

namespace Sluice.Configuration;

/// <summary>
/// Durations as users write them, in pipelines (<c>retry.backoff: 500ms</c>) and settings and options
/// (<c>SLUICE_WORKSPACE_RETENTION=7d</c>, <c>--older-than 12h</c>): a whole number and a unit.
/// </summary>
public static partial class Durations
{
    /// <summary><c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c> or <c>d</c> after a whole number, spaces allowed around both
    /// (<c>500ms</c>, <c>2 s</c>, <c>7d</c>); null when <paramref name="text"/> is not one or is longer than a
    /// <see cref="TimeSpan"/> holds. Callers bound the range they accept.</summary>
    public static TimeSpan? Parse(string text)
    {
        var match = Shape().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            || n > 1_000_000_000)
        {
            return null;
        }
        return match.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            _ => n <= (long)TimeSpan.MaxValue.TotalDays ? TimeSpan.FromDays(n) : null,
        };
    }

    /// <summary>A period as a start-up line says it: whole days, whole hours, or minutes.</summary>
    public static string Describe(TimeSpan period) => period.TotalDays >= 1 && period.TotalDays == Math.Floor(period.TotalDays)
        ? $"{period.TotalDays:0} day(s)"
        : period.TotalHours >= 1 && period.TotalHours == Math.Floor(period.TotalHours) ? $"{period.TotalHours:0} hour(s)" : $"{period.TotalMinutes:0.#} minute(s)";

    [GeneratedRegex(@"\A\s*([0-9]+)\s*(ms|s|m|h|d)\s*\z")]
    private static partial Regex Shape();
}
