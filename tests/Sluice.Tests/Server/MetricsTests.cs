using System.Globalization;
using System.Text.RegularExpressions;

namespace Sluice.Tests.Server;

public sealed partial class MetricsTests
{
    [Fact]
    public async Task Metrics_parse_as_prometheus_text_and_count_jobs_stages_rows_queue_and_lease_takeovers()
    {
        await using var api = await ApiTestServer.StartAsync();
        var job = await api.UploadAsync("payments/m.csv", api.PaymentsFile(120));
        await api.WaitForJobAsync(job);
        // A stage run a dead worker left behind, as the take-over records it.
        await api.Env.ScalarAsync<int>("""
            insert into sluice.job_stages (job_id, attempt, name, status, finished_at, error_code)
            values ($1, 1, 'load', 'abandoned', now(), 'lease.expired') returning 1
            """, job);

        using var response = await api.Client("viewer").GetAsync("metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        var samples = Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(1, samples[("sluice_jobs", "pipeline=payments,status=succeeded")]);
        Assert.Equal(120, samples[("sluice_rows_read", "pipeline=payments")]);
        Assert.Equal(120, samples[("sluice_rows_loaded", "pipeline=payments")]);
        Assert.Equal(0, samples[("sluice_rows_rejected", "pipeline=payments")]);
        Assert.Equal(1, samples[("sluice_lease_takeovers_total", "stage=load")]);
        Assert.DoesNotContain(samples.Keys, k => k.Name == "sluice_queue_depth");
        foreach (var stage in new[] { "download", "transform", "load", "publish" })
        {
            var buckets = samples.Where(s => s.Key.Name == "sluice_stage_duration_seconds_bucket" && s.Key.Labels.EndsWith($",stage={stage}", StringComparison.Ordinal)).ToList();
            Assert.Equal(18, buckets.Count);
            var ordered = buckets.OrderBy(b => Le(b.Key.Labels)).Select(b => b.Value).ToList();
            Assert.Equal(ordered.Order().ToList(), ordered);
            Assert.Equal(samples[("sluice_stage_duration_seconds_count", $"stage={stage}")], samples[("sluice_stage_duration_seconds_bucket", $"le=+Inf,stage={stage}")]);
            Assert.True(samples[("sluice_stage_duration_seconds_count", $"stage={stage}")] >= 1);
        }
    }

    /// <summary>
    /// Parses the exposition format strictly: every sample belongs to a family declared with HELP and TYPE before it,
    /// names and labels are well formed, values are numbers. Labels come back sorted as <c>a=x,b=y</c>.
    /// </summary>
    private static Dictionary<(string Name, string Labels), double> Parse(string text)
    {
        var declared = new Dictionary<string, string>();
        var samples = new Dictionary<(string, string), double>();
        Assert.EndsWith("\n", text);
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            if (HelpOrType().Match(line) is { Success: true } h)
            {
                if (h.Groups[1].Value == "TYPE")
                {
                    Assert.Contains(h.Groups[3].Value, new[] { "counter", "gauge", "histogram", "summary", "untyped" });
                    Assert.True(declared.TryAdd(h.Groups[2].Value, h.Groups[3].Value), $"family declared twice: {line}");
                }
                continue;
            }
            var m = Sample().Match(line);
            Assert.True(m.Success, $"not a sample line: {line}");
            var name = m.Groups[1].Value;
            var family = declared.Keys.FirstOrDefault(f => name == f || (declared[f] == "histogram" && (name == f + "_bucket" || name == f + "_sum" || name == f + "_count")));
            Assert.True(family is not null, $"sample of an undeclared family: {line}");
            var labels = LabelPair().Matches(m.Groups[2].Value).Select(l => $"{l.Groups[1].Value}={l.Groups[2].Value}").Order(StringComparer.Ordinal);
            var value = m.Groups[3].Value == "+Inf" ? double.PositiveInfinity : double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            Assert.True(samples.TryAdd((name, string.Join(',', labels)), value), $"duplicate sample: {line}");
        }
        return samples;
    }

    private static double Le(string labels)
    {
        var le = labels.Split(',').First(l => l.StartsWith("le=", StringComparison.Ordinal))[3..];
        return le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$")]
    private static partial Regex HelpOrType();

    [GeneratedRegex("""^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (-?[0-9.eE+-]+|\+Inf|NaN)$""")]
    private static partial Regex Sample();

    [GeneratedRegex("""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)" """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex LabelPair();
}
