using Sluice.Formats;
using Sluice.Pipelines;
using Sluice.Stages.Conversion;
using Sluice.Stages.Validate;

namespace Sluice.Tests.Formats;

public sealed class RoundTripTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-rt-").FullName;

    public static TheoryData<DataFormat, DataFormat, int> Pairs()
    {
        var data = new TheoryData<DataFormat, DataFormat, int>();
        var seed = 1;
        foreach (var from in Enum.GetValues<DataFormat>())
            foreach (var to in Enum.GetValues<DataFormat>())
                data.Add(from, to, seed++);
        return data;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task Random_tables_go_through_every_format_pair_and_back_unchanged(DataFormat from, DataFormat to, int seed)
    {
        var csv = Path.Combine(_dir, "table.csv");
        await File.WriteAllTextAsync(csv, RandomTable.Csv(seed, 3_000));
        // The source in format `from`, written from the CSV (itself checked to round-trip when from = csv).
        var source = Path.Combine(_dir, "source" + DataFormatNames.Extension(from));
        if (from != DataFormat.Csv)
            await Convert(csv, DataFormat.Csv, source, from);
        else
            source = csv;

        var target = Path.Combine(_dir, "target" + DataFormatNames.Extension(to) + (from == to ? ".2" : ""));
        var written = await Convert(source, from, target, to);
        Assert.Equal(3_000, written.Written);
        var back = Path.Combine(_dir, "back" + DataFormatNames.Extension(from) + ".3");
        await Convert(target, to, back, from);

        var report = await ReconversionValidator.ValidateAsync(csv, Options(DataFormat.Csv), back, from, Path.Combine(_dir, "check.csv"), CancellationToken.None);
        Assert.True(report.Passed, report.Summary());
        Assert.Equal(3_000, report.SourceRows);
    }

    [Fact]
    public async Task Validation_reports_a_changed_value_with_its_row_line_and_column()
    {
        var csv = Path.Combine(_dir, "table.csv");
        var text = RandomTable.Csv(99, 50);
        await File.WriteAllTextAsync(csv, text);
        var parquet = Path.Combine(_dir, "t.parquet");
        await Convert(csv, DataFormat.Csv, parquet, DataFormat.Parquet);
        var lines = text.Split('\n');
        var altered = Path.Combine(_dir, "altered.csv");
        // Change the id of data row 1 (line 2): the converted file no longer matches it.
        await File.WriteAllTextAsync(altered, lines[0] + "\n" + "1000" + lines[1][lines[1].IndexOf(',', StringComparison.Ordinal)..] + "\n" + string.Join("\n", lines[2..]));

        var report = await ReconversionValidator.ValidateAsync(altered, Options(DataFormat.Csv), parquet, DataFormat.Parquet, Path.Combine(_dir, "check.csv"), CancellationToken.None);

        Assert.False(report.Passed);
        var first = report.Mismatches[0];
        Assert.Equal((1L, 2L, "id", "1000", "1"), (first.Row, first.SourceLine, first.Column, first.Source, first.Converted));
        Assert.Contains("\"source_line\": 2", report.ToJson(), StringComparison.Ordinal);
    }

    private static FileFormatOptions Options(DataFormat format) =>
        new() { Format = format, Schema = RandomTable.Columns, BatchRows = 1000 };

    private async Task<ConversionResult> Convert(string from, DataFormat fromFormat, string to, DataFormat toFormat)
    {
        var result = await FileConverter.ConvertAsync(from, Options(fromFormat), to, Options(toFormat) with { Compression = ParquetCompression.Snappy },
            to + ".rejects.csv", null, CancellationToken.None);
        Assert.True(result.Rejected == 0, $"{result.FirstReject}");
        return result;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
