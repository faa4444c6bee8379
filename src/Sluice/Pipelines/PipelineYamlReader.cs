using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Formats;
using YamlDotNet.RepresentationModel;

namespace Sluice.Pipelines;

/// <summary>Builds a <see cref="Pipeline"/> from its YAML mapping, section by section, reporting every problem.</summary>
internal sealed partial class PipelineYamlReader(YamlNodeReader r)
{
    private static readonly string[] TopKeys =
        ["name", "on", "workflow", "source", "schema", "target", "output", "notify", "retry", "rejects", "chunk"];
    private static readonly string[] OnKeys = ["bucket", "match"];
    private static readonly string[] SourceKeys =
        ["format", "header", "delimiter", "quote", "escape", "encoding", "null", "sample_rows"];
    private static readonly string[] OutputKeys = ["bucket"];
    private static readonly string[] NotifyKeys = ["webhook", "events"];
    private static readonly string[] RetryKeys = ["max_attempts", "backoff"];
    private static readonly string[] RejectsKeys = ["max_rows", "max_ratio"];
    private static readonly string[] Workflows = ["load", "convert"];
    public LocatedPipeline? Read(YamlMappingNode root)
    {
        r.Mapping(root, "", TopKeys);

        var nameNode = YamlNodeReader.Get(root, "name");
        var name = r.RequiredText(root, "", "name");
        if (name is not null && IdentifierRules.CheckPipelineName(name) is { } nameError) r.Error(nameNode!, "name", nameError);

        var onNode = YamlNodeReader.Get(root, "on");
        var on = r.Mapping(onNode, "on", OnKeys);
        if (on is null && (onNode is null || YamlNodeReader.IsNull(onNode)))
            r.Error(onNode ?? root, "on", "is required, as in on: { bucket: inbox, match: \"payments/*.csv\" }");
        var bucket = on is null ? null : Bucket(on, "on", required: true);
        var matchNode = on is null ? null : YamlNodeReader.Get(on, "match");
        var match = r.Text(matchNode, "on.match") ?? "**";
        if (matchNode is not null && !KeyGlob.TryCreate(match, out _, out var globError)) r.Error(matchNode, "on.match", globError);

        var workflow = (WorkflowKind)(r.OneOf(YamlNodeReader.Get(root, "workflow"), "workflow", Workflows) ?? 0);
        var csv = Source(YamlNodeReader.Get(root, "source"), out var sourceFormat);
        var schema = Schema(YamlNodeReader.Get(root, "schema"));
        var target = Target(root, workflow, ref schema);

        var output = r.Mapping(YamlNodeReader.Get(root, "output"), "output", OutputKeys);
        var outputBucket = output is null ? null : Bucket(output, "output", required: false);
        var convert = workflow == WorkflowKind.Convert ? ConvertTargetSection(root, sourceFormat, ref outputBucket) : null;
        outputBucket ??= "processed";
        if (bucket is not null && outputBucket == bucket)
        {
            r.Error(output ?? (YamlNode)root, "output.bucket",
                $"must differ from on.bucket {MessageText.Quote(bucket)}: published files would start this pipeline again");
        }

        var notify = Notify(YamlNodeReader.Get(root, "notify"));
        var retry = Retry(YamlNodeReader.Get(root, "retry"));
        var rejects = Rejects(YamlNodeReader.Get(root, "rejects"));
        var chunk = Chunk(YamlNodeReader.Get(root, "chunk"), workflow);

        if (r.Errors.Count > 0 || name is null || bucket is null) return null;
        var pipeline = new Pipeline
        {
            Name = name,
            SourceFile = r.File,
            Bucket = bucket,
            Match = match,
            Workflow = workflow,
            SourceFormat = DataFormatNames.Name(sourceFormat),
            Csv = csv,
            Schema = schema,
            Target = target,
            Convert = convert,
            OutputBucket = outputBucket,
            Notify = notify,
            Retry = retry,
            Rejects = rejects,
            Chunk = chunk,
        };
        var matchAt = matchNode ?? onNode!;
        return new LocatedPipeline(pipeline, (int)nameNode!.Start.Line, (int)nameNode.Start.Column,
            (int)matchAt.Start.Line, (int)matchAt.Start.Column);
    }

    private string? Bucket(YamlMappingNode section, string path, bool required)
    {
        var node = YamlNodeReader.Get(section, "bucket");
        var bucket = required ? r.RequiredText(section, path, "bucket") : r.Text(node, $"{path}.bucket");
        if (bucket is null) return null;
        if (IdentifierRules.CheckBucketName(bucket) is not { } error) return bucket;
        r.Error(node!, $"{path}.bucket", error);
        return null;
    }

    private CsvOptions Source(YamlNode? node, out DataFormat sourceFormat)
    {
        sourceFormat = DataFormat.Csv;
        var source = r.Mapping(node, "source", SourceKeys);
        if (source is null) return CsvOptions.Default;

        var formatNode = YamlNodeReader.Get(source, "format");
        var format = r.Text(formatNode, "source.format")?.Trim().ToLowerInvariant();
        if (format is not null)
        {
            if (DataFormatNames.TryParse(format, out var parsed)) sourceFormat = parsed;
            else r.Error(formatNode!, "source.format", $"{MessageText.Quote(format)} is not one of {DataFormatNames.Accepted}");
        }

        // "tsv" says tab-separated: its delimiter is a tab unless one is given.
        var csv = format == "tsv" ? CsvOptions.Tab : CsvOptions.Default;
        if (r.Boolean(YamlNodeReader.Get(source, "header"), "source.header") is { } header) csv = csv with { Header = header };
        if (Character(source, "source", "delimiter") is { } delimiter) csv = csv with { Delimiter = delimiter };
        if (Character(source, "source", "quote") is { } quote) csv = csv with { Quote = quote };
        if (Character(source, "source", "escape") is { } escape) csv = csv with { Escape = escape };
        if (csv.Delimiter == csv.Quote) r.Error(source, "source.delimiter", CsvDialectRules.DelimiterIsQuote(csv.Delimiter));

        var encodingNode = YamlNodeReader.Get(source, "encoding");
        if (r.Text(encodingNode, "source.encoding") is { } encoding)
        {
            try
            {
                Encoding.GetEncoding(encoding.Trim());
                csv = csv with { Encoding = encoding.Trim() };
            }
            catch (ArgumentException)
            {
                r.Error(encodingNode!, "source.encoding",
                    $"unknown encoding {MessageText.Quote(encoding)}; use utf-8, utf-16, utf-16be, utf-32, latin1 (iso-8859-1) or us-ascii");
            }
        }

        if (r.TextList(YamlNodeReader.Get(source, "null"), "source.null") is { } markers)
            csv = csv with { NullMarkers = markers.Select(m => m.Value).Distinct(StringComparer.Ordinal).ToArray() };
        if (r.Integer(YamlNodeReader.Get(source, "sample_rows"), "source.sample_rows", 1, 1_000_000) is { } sample)
            csv = csv with { SampleRows = (int)sample };
        return csv;
    }

    /// <summary>One character of <paramref name="section"/> (<c>source</c> or <c>target</c>), as <see cref="CsvDialectRules.Character"/> reads it.</summary>
    private char? Character(YamlMappingNode section, string path, string key)
    {
        var node = YamlNodeReader.Get(section, key);
        var text = r.Text(node, $"{path}.{key}");
        if (text is null) return null;
        if (CsvDialectRules.Character(text) is { } character) return character;
        r.Error(node!, $"{path}.{key}", $"{MessageText.Quote(text)} is not a single character ({CsvDialectRules.CharacterHint})");
        return null;
    }

    private IReadOnlyList<NotifierDefinition> Notify(YamlNode? node)
    {
        if (node is null || YamlNodeReader.IsNull(node)) return [];
        if (node is not YamlSequenceNode list)
        {
            r.Error(node, "notify", $"expected a list of notifiers, as in notify: [ {{ webhook: \"https://...\" }} ], found {YamlNodeReader.Describe(node)}");
            return [];
        }
        var notifiers = new List<NotifierDefinition>();
        for (var i = 0; i < list.Children.Count; i++)
        {
            var path = $"notify[{i}]";
            var item = r.Mapping(list.Children[i], path, NotifyKeys);
            if (item is null) continue;
            var webhookNode = YamlNodeReader.Get(item, "webhook");
            var webhook = r.RequiredText(item, path, "webhook");
            Uri? uri = null;
            if (webhook is not null &&
                (!Uri.TryCreate(webhook.Trim(), UriKind.Absolute, out uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0))
            {
                r.Error(webhookNode!, $"{path}.webhook", $"{MessageText.Quote(webhook)} is not an absolute http:// or https:// URL");
                uri = null;
            }
            var events = new List<string>();
            foreach (var (value, eventNode, eventPath) in r.TextList(YamlNodeReader.Get(item, "events"), $"{path}.events") ?? [])
            {
                // Only the job's outcome is sent: any other name (a typo such as job.fail) would silently send nothing.
                if (value is "job.succeeded" or "job.failed") events.Add(value);
                else r.Error(eventNode, eventPath, $"{MessageText.Quote(value)} is not an event webhooks receive: job.succeeded or job.failed");
            }
            if (uri is not null) notifiers.Add(new NotifierDefinition(uri, events));
        }
        return notifiers;
    }

    private RetryPolicy Retry(YamlNode? node)
    {
        var retry = r.Mapping(node, "retry", RetryKeys);
        if (retry is null) return RetryPolicy.Default;
        var attempts = r.Integer(YamlNodeReader.Get(retry, "max_attempts"), "retry.max_attempts", 1, 100);
        var backoffNode = YamlNodeReader.Get(retry, "backoff");
        TimeSpan? backoff = null;
        if (r.Text(backoffNode, "retry.backoff") is { } text)
        {
            backoff = Configuration.Durations.Parse(text);
            if (backoff is null || backoff <= TimeSpan.Zero || backoff > TimeSpan.FromHours(1))
            {
                r.Error(backoffNode!, "retry.backoff", $"{MessageText.Quote(text)} is not a duration from 1ms to 1h, such as 500ms, 2s or 1m");
                backoff = null;
            }
        }
        return new RetryPolicy((int)(attempts ?? RetryPolicy.Default.MaxAttempts), backoff ?? RetryPolicy.Default.Backoff);
    }

    private RejectPolicy Rejects(YamlNode? node)
    {
        var rejects = r.Mapping(node, "rejects", RejectsKeys);
        if (rejects is null) return RejectPolicy.None;
        var rowsNode = YamlNodeReader.Get(rejects, "max_rows");
        var ratioNode = YamlNodeReader.Get(rejects, "max_ratio");
        var rows = r.Integer(rowsNode, "rejects.max_rows", 0, long.MaxValue);
        double? ratio = null;
        if (r.Text(ratioNode, "rejects.max_ratio") is { } text)
        {
            if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 1)
                ratio = value;
            else
                r.Error(ratioNode!, "rejects.max_ratio", $"{MessageText.Quote(text)} is not a ratio from 0 to 1, such as 0.01");
        }
        if (rowsNode is null && ratioNode is null)
            r.Error(rejects, "rejects", "set max_rows, max_ratio or both; omit rejects to allow no rejected rows");
        return new RejectPolicy(rows, ratio);
    }
}
