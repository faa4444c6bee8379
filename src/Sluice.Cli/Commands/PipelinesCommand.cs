using System.CommandLine;
using Sluice.Cli.Output;
using Sluice.Formats;
using Sluice.Pipelines;
using Spectre.Console;

namespace Sluice.Cli.Commands;

internal static class PipelinesCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print as JSON." };
        var list = new Command("list", "List the pipelines in SLUICE_PIPELINES (default ./pipelines).") { json };
        list.SetAction((parse, _) => CliAction.RunAsync(ct =>
        {
            var catalog = CliAction.LoadCatalog(CliAction.Settings());
            if (parse.GetValue(json))
            {
                JsonOutput.Print(catalog.All.Select(p => new
                {
                    name = p.Name, file = p.SourceFile, bucket = p.Bucket, match = p.Match, workflow = p.Workflow.ToString().ToLowerInvariant(),
                    source_format = p.SourceFormat,
                    delimiter = p.SourceFormat == "csv" ? p.Csv.Delimiter.ToString() : null,
                    target = p.Target is { } t ? $"{t.Schema}.{t.Table}" : null,
                    target_format = p.Convert is { } c ? DataFormatNames.Name(c.Format) : null,
                }));
                return Task.FromResult(0);
            }
            var table = new Table().Border(TableBorder.Simple).AddColumns("name", "bucket", "match", "workflow", "reads", "target", "file");
            foreach (var p in catalog.All)
                table.AddRow(Markup.Escape(p.Name), Markup.Escape(p.Bucket), Markup.Escape(p.Match), p.Workflow.ToString().ToLowerInvariant(),
                    Markup.Escape(Reads(p)),
                    Markup.Escape(p.Target is { } t ? $"{t.Schema}.{t.Table} ({t.Mode.ToString().ToLowerInvariant()})"
                        : p.Convert is { } c ? DataFormatNames.Name(c.Format) : "-"),
                    Markup.Escape(p.SourceFile));
            Terminal.Write(table);
            return Task.FromResult(0);
        }));
        // A tsv pipeline reads CSV with a tab: "csv" alone would hide the delimiter it reads with.
        static string Reads(Pipeline p) =>
            p.SourceFormat == "csv" && p.Csv.Delimiter != ',' ? $"csv ({(p.Csv.Delimiter == '\t' ? "tab" : p.Csv.Delimiter)})" : p.SourceFormat;
        var path = new Argument<string?>("path") { Description = "A pipeline file or folder; default SLUICE_PIPELINES.", Arity = ArgumentArity.ZeroOrOne };
        var validate = new Command("validate", "Check pipeline files and report every problem with file, line and key.") { path };
        validate.SetAction((parse, _) => CliAction.RunAsync(ct =>
        {
            var target = parse.GetValue(path) ?? CliAction.Settings().PipelinesDirectory;
            var count = File.Exists(target) ? 1 : PipelineLoader.LoadDirectory(target).All.Count;
            if (File.Exists(target)) PipelineLoader.LoadFile(target);
            Terminal.Line($"ok: {count} pipeline(s) valid in {target}");
            return Task.FromResult(0);
        }));
        return new Command("pipelines", "Inspect and validate pipeline definitions.") { list, validate };
    }
}
