using Sluice.Formats;
using YamlDotNet.RepresentationModel;

namespace Sluice.Pipelines;

// The target section of a convert pipeline: format, bucket, compression, and a CSV target's dialect.
internal sealed partial class PipelineYamlReader
{
    private static readonly string[] ConvertTargetKeys = ["format", "bucket", "compression", "delimiter", "quote", "header", "null"];
    private static readonly string[] CsvTargetKeys = ["delimiter", "quote", "header", "null"];
    private static readonly string[] Compressions = ["zstd", "snappy", "gzip", "none"];

    private ConvertTarget? ConvertTargetSection(YamlMappingNode root, DataFormat sourceFormat, ref string? outputBucket)
    {
        var node = YamlNodeReader.Get(root, "target");
        var target = r.Mapping(node, "target", ConvertTargetKeys);
        // Without a target section a convert pipeline writes Parquet (zstd) to the output bucket.
        if (target is null) return node is null || YamlNodeReader.IsNull(node) ? new ConvertTarget(DataFormat.Parquet) : null;

        var formatNode = YamlNodeReader.Get(target, "format");
        var formatText = r.RequiredText(target, "target", "format");
        var formatName = formatText?.Trim().TrimStart('.').ToLowerInvariant();
        DataFormat? format = null;
        if (formatText is not null)
        {
            // "txt" says nothing of the delimiter a reader should expect: the target names it.
            if (formatName is "txt")
                r.Error(formatNode!, "target.format",
                    $"{MessageText.Quote(formatText)} is not a format Sluice writes; write format: csv (comma-separated) or tsv (tab-separated)");
            else if (DataFormatNames.TryParse(formatText, out var f)) format = f;
            else r.Error(formatNode!, "target.format", $"{MessageText.Quote(formatText)} is not one of {DataFormatNames.Accepted} or tsv");
        }
        if (format is { } same && same == sourceFormat && same != DataFormat.Csv)
            r.Error(formatNode!, "target.format", $"is the source's format too; convert changes the format (csv to csv may change the dialect)");

        if (Bucket(target, "target", required: false) is { } bucket) outputBucket = bucket;

        var compressionNode = YamlNodeReader.Get(target, "compression");
        var compression = (ParquetCompression)(r.OneOf(compressionNode, "target.compression", Compressions) ?? 0);
        if (compressionNode is not null && format is not DataFormat.Parquet && compression != ParquetCompression.None)
            r.Error(compressionNode, "target.compression", "applies to format parquet only");

        var tsv = formatName is "tsv";
        var csv = TargetCsv(target, format, tsv);
        return format is { } fmt
            ? new ConvertTarget(fmt, compression) { Csv = csv, Extension = tsv ? ".tsv" : DataFormatNames.Extension(fmt) }
            : null;
    }

    /// <summary>A CSV target's own dialect: RFC 4180 (a tab for <c>tsv</c>) changed by the dialect keys, which another
    /// format refuses (it has no dialect to change).</summary>
    private CsvOptions TargetCsv(YamlMappingNode target, DataFormat? format, bool tsv)
    {
        var csv = tsv ? CsvOptions.Tab : CsvOptions.Default;
        if (format is { } other && other != DataFormat.Csv)
        {
            foreach (var key in CsvTargetKeys)
            {
                if (YamlNodeReader.Get(target, key) is { } keyNode)
                    r.Error(keyNode, $"target.{key}",
                        $"applies to a CSV target (format csv or tsv) only; {DataFormatNames.Name(other)} has no dialect, so remove {key}");
            }
            return csv;
        }

        if (r.Boolean(YamlNodeReader.Get(target, "header"), "target.header") is { } header) csv = csv with { Header = header };
        if (Character(target, "target", "delimiter") is { } delimiter) csv = csv with { Delimiter = delimiter };
        // A quote inside a quoted field is doubled (RFC 4180), whichever character quotes.
        if (Character(target, "target", "quote") is { } quote) csv = csv with { Quote = quote, Escape = quote };
        // Taken literally, as source.null is: null: NULL writes the word, where YAML would read a plain NULL as no value.
        var nullNode = YamlNodeReader.Get(target, "null");
        if (nullNode is YamlScalarNode nullText) csv = csv with { NullMarkers = [nullText.Value ?? ""] };
        else if (nullNode is not null)
            r.Error(nullNode, "target.null", $"expected the one text written for a null, as in null: NULL, found {YamlNodeReader.Describe(nullNode)}");

        if (CsvDialectRules.WriteProblem(csv) is { } problem)
        {
            // delimiter and quote clash whichever of them is written: name the one that is.
            var key = YamlNodeReader.Get(target, problem.Key) is null && problem.Key == "delimiter" ? "quote" : problem.Key;
            r.Error(YamlNodeReader.Get(target, key) ?? target, $"target.{key}", problem.Message);
        }
        return csv;
    }
}
