using Sluice.Formats;
using YamlDotNet.RepresentationModel;

namespace Sluice.Pipelines;

// The target section of a convert pipeline: format, bucket, compression.
internal sealed partial class PipelineYamlReader
{
    private static readonly string[] ConvertTargetKeys = ["format", "bucket", "compression"];
    private static readonly string[] Compressions = ["zstd", "snappy", "gzip", "none"];

    private ConvertTarget? ConvertTargetSection(YamlMappingNode root, DataFormat sourceFormat, ref string? outputBucket)
    {
        var node = YamlNodeReader.Get(root, "target");
        var target = r.Mapping(node, "target", ConvertTargetKeys);
        // Without a target section a convert pipeline writes Parquet (zstd) to the output bucket.
        if (target is null) return node is null || YamlNodeReader.IsNull(node) ? new ConvertTarget(DataFormat.Parquet) : null;

        var formatNode = YamlNodeReader.Get(target, "format");
        var formatText = r.RequiredText(target, "target", "format");
        DataFormat? format = null;
        if (formatText is not null)
        {
            // A CSV target is written in the source's dialect into a .csv file: "tsv" would read as asking for tabs.
            if (formatText.Trim().TrimStart('.').ToLowerInvariant() is "tsv" or "txt")
                r.Error(formatNode!, "target.format",
                    $"{MessageText.Quote(formatText)} is not a format Sluice writes: a CSV target is written as a .csv file in the source's " +
                    "dialect (a tab-separated source stays tab-separated); write format: csv");
            else if (DataFormatNames.TryParse(formatText, out var f)) format = f;
            else r.Error(formatNode!, "target.format", $"{MessageText.Quote(formatText)} is not one of {DataFormatNames.Accepted}");
        }
        if (format is { } same && same == sourceFormat && same != DataFormat.Csv)
            r.Error(formatNode!, "target.format", $"is the source's format too; convert changes the format (csv to csv may change the dialect)");

        if (Bucket(target, "target", required: false) is { } bucket) outputBucket = bucket;

        var compressionNode = YamlNodeReader.Get(target, "compression");
        var compression = (ParquetCompression)(r.OneOf(compressionNode, "target.compression", Compressions) ?? 0);
        if (compressionNode is not null && format is not DataFormat.Parquet && compression != ParquetCompression.None)
            r.Error(compressionNode, "target.compression", "applies to format parquet only");

        return format is { } fmt ? new ConvertTarget(fmt, compression) : null;
    }
}
