using Sluice.Formats;
using Sluice.Pipelines;
using Sluice.Stages.Conversion;

namespace Sluice.Tests.Conversion; // not .Convert: that would hide System.Convert in the test namespaces

/// <summary>convert.json records both dialects, so that validation and a replay read exactly what was written.</summary>
public sealed class ConvertManifestTests
{
    private static readonly ColumnDefinition[] Columns = [new("id", ColumnType.BigInt), new("note", ColumnType.Text)];

    [Fact]
    public void The_manifest_keeps_the_source_dialect_and_the_target_dialect_apart()
    {
        var source = CsvOptions.Tab with { NullMarkers = ["", "NULL"], Encoding = "latin1" };
        var target = CsvOptions.Default with { Delimiter = ';', Quote = '\'', Escape = '\'', Header = false, NullMarkers = ["\\N"] };

        var read = ConvertManifest.Parse(new ConvertManifest(DataFormat.Csv, DataFormat.Csv, "p.csv", source, target, Columns).ToJson());

        Assert.Equal(source, read.Csv with { NullMarkers = source.NullMarkers });
        Assert.Equal(source.NullMarkers, read.Csv.NullMarkers);
        Assert.Equal(target, read.TargetCsv with { NullMarkers = target.NullMarkers });
        Assert.Equal(target.NullMarkers, read.TargetCsv.NullMarkers);
        Assert.Equal(Columns, read.Columns);
    }

    [Fact]
    public void A_manifest_written_before_targets_had_a_dialect_reads_its_csv_target_in_the_source_dialect()
    {
        // What a convert job wrote when a CSV target kept the source's dialect (a replay from validate reads it).
        const string old = """
            {
              "source_format": "csv", "target_format": "csv", "target_file": "p.csv",
              "csv": { "header": true, "delimiter": "\t", "quote": "\"", "escape": "\"", "encoding": "latin1", "null": [""] },
              "columns": [ { "name": "id", "type": "bigint", "nullable": true } ]
            }
            """;

        var read = ConvertManifest.Parse(old);

        Assert.Equal(('\t', "utf-8"), (read.TargetCsv.Delimiter, read.TargetCsv.Encoding));
    }
}
