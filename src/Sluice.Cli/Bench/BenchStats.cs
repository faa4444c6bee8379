using System.Globalization;

namespace Sluice.Cli.Bench;

/// <summary>Repeated timings of one contender: min and median, and the ratio of medians to a reference.</summary>
internal sealed class BenchStats(string name)
{
    private readonly List<double> _seconds = [];

    public string Name { get; } = name;
    public IReadOnlyList<double> Seconds => _seconds;
    public string? Note { get; set; }

    public void Add(double seconds) => _seconds.Add(seconds);

    public double Min => _seconds.Count == 0 ? double.NaN : _seconds.Min();

    public double Median => MedianOf(_seconds);

    public static double MedianOf(IEnumerable<double> values)
    {
        var s = values.Order().ToList();
        if (s.Count == 0) return double.NaN;
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    public static string F(double v, string format = "0.00") => double.IsNaN(v) ? "–" : v.ToString(format, CultureInfo.InvariantCulture);
}
