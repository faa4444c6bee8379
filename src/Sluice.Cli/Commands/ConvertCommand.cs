using System.CommandLine;
using System.Diagnostics;
using Sluice.Cli.Output;
using Sluice.Errors;
using Sluice.Formats;
using Sluice.Formats.Csv;
using Sluice.Pipelines;
using Sluice.Stages.Conversion;
using Sluice.Stages.Validate;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sluice.Cli.Commands;

internal static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("in") { Description = "The file to convert (.csv, .tsv, .jsonl, .ndjson, .parquet; .gz, .zst and .zip files are decompressed first, beside the output)." };
        var output = new Argument<string>("out") { Description = "The file to write; its extension names the format unless --to is given." };
        var from = new Option<string?>("--from") { Description = "Source format: csv, jsonl or parquet (default: from the extension)." };
        var to = new Option<string?>("--to") { Description = "Target format: csv, tsv (CSV with a tab), jsonl or parquet (default: from the extension)." };
        var validate = new Option<bool>("--validate") { Description = "Read the result back, convert it back and compare it with the source row by row." };
        var schema = new Option<string?>("--schema") { Description = "A YAML file of column: type lines (as a pipeline's schema:) instead of inference." };
        var compression = new Option<string>("--compression") { Description = "Parquet compression: zstd, snappy, gzip or none.", DefaultValueFactory = _ => "zstd" };
        var json = new Option<bool>("--json") { Description = "Print the outcome as JSON on stdout (counts, columns, first reject, validation)." };
        var dialect = new TargetDialectOptions();
        var command = new Command("convert",
            "Convert one file between CSV, JSON Lines and Parquet, exactly (decimals stay decimals). CSV output has its own dialect, " +
            "whatever the input's: RFC 4180 (comma, \" doubled, a header line, UTF-8, LF; a tab for .tsv or --to tsv) unless the options below change it.")
        {
            input, output, from, to, validate, schema, compression, json, dialect.Delimiter, dialect.Quote, dialect.NoHeader, dialect.Null,
        };
        command.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            var inPath = parse.GetValue(input)!;
            var outPath = parse.GetValue(output)!;
            // payments.zip says nothing of what it holds: its format is told once the file inside it is known.
            DataFormat? named = Storage.ZipSource.IsZipKey(inPath) && parse.GetValue(from) is null && DataFormatNames.FromPath(inPath) is null
                ? (DataFormat?)null
                : Format(parse.GetValue(from), inPath, "--from");
            var targetFormat = Format(parse.GetValue(to), outPath, "--to");
            var codec = parse.GetValue(compression)!.ToLowerInvariant() switch
            {
                "zstd" => ParquetCompression.Zstd, "snappy" => ParquetCompression.Snappy, "gzip" => ParquetCompression.Gzip, "none" => ParquetCompression.None,
                var other => throw new SluiceException("cli.usage", $"--compression {other}: use zstd, snappy, gzip or none."),
            };
            if (targetFormat != DataFormat.Parquet && codec != ParquetCompression.None && parse.GetResult(compression) is { Implicit: false })
                throw new SluiceException("cli.usage", $"--compression applies to Parquet output; {outPath} is written as {DataFormatNames.Name(targetFormat)}. Leave it out, or convert --to parquet.");
            var targetCsv = dialect.Read(parse, parse.GetValue(to), outPath, targetFormat);
            if (!File.Exists(inPath)) throw new SluiceException("cli.usage", $"{inPath} does not exist.");
            if (SameFile(inPath, outPath))
                throw new SluiceException("cli.usage", $"{outPath} is the file being converted; write the output to another path (a failed conversion would remove the source).");
            var outFolder = Path.GetDirectoryName(Path.GetFullPath(outPath))!;
            if (!Directory.Exists(outFolder))
                throw new SluiceException("cli.usage", $"cannot write {outPath}: the folder {outFolder} does not exist; create it first, or give an output path in an existing folder.");
            // A compressed file is read inflated; messages still name the file as given.
            using var inflated = await InflatedInput.OpenAsync(inPath, outFolder, ct);
            var readPath = inflated.Path;
            var sourceFormat = named ?? Format(null, inflated.Entry ?? inPath, "--from");
            var csv = sourceFormat == DataFormat.Csv ? CsvDialectSniffer.Detect(readPath, CsvOptions.Default) : CsvOptions.Default;
            var declared = parse.GetValue(schema) is { } schemaFile ? ReadSchema(schemaFile) : null;
            var source = new FileFormatOptions { Format = sourceFormat, Csv = csv, Schema = declared, ScratchFolder = outFolder };
            var target = new FileFormatOptions { Format = targetFormat, Csv = targetCsv, Compression = codec };
            var rejects = outPath + ".rejects.csv";
            var clock = Stopwatch.StartNew();
            ConversionResult result;
            try
            {
                result = await FileConverter.ConvertAsync(readPath, source, outPath, target, rejects, null, ct);
            }
            catch (DataFileException e)
            {
                throw new SluiceException(e.Code, $"{inPath}: {e.Message}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SluiceException("io.error", $"cannot convert {inPath} to {outPath}: {e.Message}");
            }
            foreach (var w in result.Warnings) Terminal.Line($"warning: {w}");
            Terminal.Line($"{inPath} → {outPath}: {result.Written:N0} rows written in {clock.Elapsed.TotalSeconds:F2} s ({ColumnList(result.Columns)})");
            var outcome = new ConvertOutcome(inPath, outPath, sourceFormat, targetFormat, result);
            if (result.Rejected > 0)
            {
                var r = result.FirstReject!;
                Terminal.Line($"error: {inPath}: {result.Rejected:N0} record(s) could not be converted; the first at line {r.Line}{(r.Column is null ? "" : $", column '{r.Column}'")}: {r.Reason}. All are in {rejects}.");
                if (parse.GetValue(json)) JsonOutput.Print(outcome.ToJson(rejects, null, null));
                return CliAction.Failed;
            }
            File.Delete(rejects);
            if (!parse.GetValue(validate))
            {
                if (parse.GetValue(json)) JsonOutput.Print(outcome.ToJson(null, null, null));
                return 0;
            }
            clock.Restart();
            var reconverted = outPath + ".reconverted" + DataFormatNames.Extension(sourceFormat);
            ValidationReport report;
            try
            {
                report = await ReconversionValidator.ValidateAsync(readPath, source with { Schema = result.Columns }, outPath, target, reconverted, ct);
            }
            catch (DataFileException e)
            {
                throw new SluiceException(e.Code, $"validation could not read a file: {e.Message}");
            }
            File.Delete(reconverted);
            var reportPath = outPath + ".validation.json";
            await File.WriteAllTextAsync(reportPath, report.ToJson(), ct);
            Terminal.Line($"validation by reconversion in {clock.Elapsed.TotalSeconds:F2} s: {report.Summary()} (report: {reportPath})");
            if (parse.GetValue(json)) JsonOutput.Print(outcome.ToJson(null, report, reportPath));
            return report.Passed ? 0 : CliAction.Failed;
        }));
        return command;
    }

    private static DataFormat Format(string? given, string path, string option)
    {
        if (given is not null)
            return DataFormatNames.TryParse(given, out var f) ? f : throw new SluiceException("cli.usage", $"{option} {given}: use {DataFormatNames.Accepted}.");
        return DataFormatNames.FromPath(path)
               ?? throw new SluiceException("cli.usage", $"cannot tell the format of {path} from its extension; give {option} ({DataFormatNames.Accepted}).");
    }

    /// <summary>Whether both paths name one file, directly or through symbolic links.</summary>
    private static bool SameFile(string a, string b)
    {
        static string Resolved(string path)
        {
            var full = Path.GetFullPath(path);
            var folder = Path.GetDirectoryName(full)!;
            folder = Directory.Exists(folder) && Directory.ResolveLinkTarget(folder, returnFinalTarget: true) is { } dir ? dir.FullName : folder;
            full = Path.Combine(folder, Path.GetFileName(full));
            return File.Exists(full) && File.ResolveLinkTarget(full, returnFinalTarget: true) is { } target ? target.FullName : full;
        }
        return string.Equals(Resolved(a), Resolved(b), StringComparison.Ordinal);
    }

    /// <summary>A YAML mapping of <c>column: type [not null]</c> (or a column's mapping with its format, as in a pipeline),
    /// optionally under a <c>schema:</c> key.</summary>
    internal static IReadOnlyList<ColumnDefinition> ReadSchema(string file)
    {
        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(file);
            yaml.Load(reader);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SluiceException("cli.usage", $"cannot read the schema file {file}: {e.Message}");
        }
        catch (YamlException e)
        {
            throw new SluiceException("cli.usage", $"{file}:{e.Start.Line}:{e.Start.Column}: not valid YAML ({e.InnerException?.Message ?? e.Message}); write one column: type per line.");
        }
        var root = yaml.Documents.Count > 0 ? yaml.Documents[0].RootNode as YamlMappingNode : null;
        if (root is not null && root.Children.TryGetValue(new YamlScalarNode("schema"), out var inner)) root = inner as YamlMappingNode;
        if (root is null) throw new SluiceException("cli.usage", $"{file}: expected a mapping of column: type, as in a pipeline's schema:.");
        try
        {
            // Read as a pipeline's schema: the short form (amount: numeric(14,2)) or the mapping with a format.
            return PipelineLoader.ParseSchema(root, file);
        }
        catch (PipelineException e)
        {
            throw new SluiceException("cli.usage", string.Join(Environment.NewLine, e.Errors.Select(error => error.ToString())));
        }
    }

    /// <summary>The columns for the summary line: the first dozen, then how many more (all of them are in --json and
    /// <c>inspect</c>), so a wide file's summary stays one readable line.</summary>
    private static string ColumnList(IReadOnlyList<ColumnDefinition> columns)
    {
        const int Shown = 12;
        var shown = string.Join(", ", columns.Take(Shown).Select(c => $"{c.Name} {c.Type.ToSql()}"));
        return columns.Count > Shown ? $"{shown}, and {columns.Count - Shown:N0} more columns" : shown;
    }
}
