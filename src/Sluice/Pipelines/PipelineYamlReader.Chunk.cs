using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Sluice.Pipelines;

internal sealed partial class PipelineYamlReader
{
    private static readonly string[] ChunkKeys = ["rows", "bytes", "keyed_loads", "spread"];
    private static readonly string[] KeyedLoads = ["side_by_side", "in_order"];

    /// <summary><c>chunk: { rows: 1000000, bytes: 128MiB, keyed_loads: side_by_side, spread: true }</c>, or <c>chunk: off</c>; omitted
    /// means the defaults.</summary>
    private ChunkPolicy Chunk(YamlNode? node, WorkflowKind workflow)
    {
        if (node is null || YamlNodeReader.IsNull(node)) return ChunkPolicy.Default;
        if (node is YamlScalarNode { Value: "off" or "false" }) return ChunkPolicy.Off;
        var chunk = r.Mapping(node, "chunk", ChunkKeys);
        if (chunk is null)
        {
            if (node is YamlScalarNode) r.Error(node, "chunk", "is a mapping such as { rows: 1000000, bytes: 128MiB }, or off");
            return ChunkPolicy.Default;
        }
        if (workflow != WorkflowKind.Load)
            r.Error(node, "chunk", "applies to load pipelines only (a convert job streams its file whole)");
        var rows = r.Integer(YamlNodeReader.Get(chunk, "rows"), "chunk.rows", 1000, 1_000_000_000_000);
        var bytesNode = YamlNodeReader.Get(chunk, "bytes");
        long? bytes = null;
        if (r.Text(bytesNode, "chunk.bytes") is { } text)
        {
            bytes = ByteSize(text);
            if (bytes is null or < 1 << 20)
            {
                r.Error(bytesNode!, "chunk.bytes", $"{MessageText.Quote(text)} is not a size of at least 1MiB, such as 64MiB, 1GiB or 500MB");
                bytes = null;
            }
        }
        var keyed = (KeyedChunkLoads)(r.OneOf(YamlNodeReader.Get(chunk, "keyed_loads"), "chunk.keyed_loads", KeyedLoads) ?? 0);
        var spread = r.Boolean(YamlNodeReader.Get(chunk, "spread"), "chunk.spread") ?? ChunkPolicy.Default.Spread;
        return new ChunkPolicy(rows ?? ChunkPolicy.Default.Rows, bytes ?? ChunkPolicy.Default.Bytes, keyed, spread);
    }

    /// <summary>A byte count: plain digits, or with KB/MB/GB (powers of 1000) or KiB/MiB/GiB (powers of 1024).</summary>
    private static long? ByteSize(string text)
    {
        var match = ByteSizeShape().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return null;
        var unit = match.Groups[2].Value.ToUpperInvariant() switch
        {
            "" or "B" => 1L,
            "KB" => 1000L, "MB" => 1000L * 1000, "GB" => 1000L * 1000 * 1000, "TB" => 1000L * 1000 * 1000 * 1000,
            "KIB" => 1L << 10, "MIB" => 1L << 20, "GIB" => 1L << 30, _ => 1L << 40,
        };
        return n <= long.MaxValue / unit ? n * unit : null;
    }

    [GeneratedRegex(@"\A\s*([0-9]{1,15})\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?\s*\z", RegexOptions.IgnoreCase)]
    private static partial Regex ByteSizeShape();
}
