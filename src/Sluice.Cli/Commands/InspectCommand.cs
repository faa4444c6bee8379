using System.CommandLine;
using Sluice.Cli.Output;
using Sluice.Errors;
using Sluice.Formats;
using Sluice.Formats.Csv;
using Sluice.Formats.Parquet;
using Sluice.Pipelines;
using Spectre.Console;

namespace Sluice.Cli.Commands;

internal static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A .csv, .tsv, .jsonl or .parquet file (.gz, .zst and .zip files are decompressed first, into the temporary folder)." };
        var rows = WholeNumberOption.Create("--rows", "How many rows to show; 0 shows only the format and the schema.", defaultValue: 10, min: 0);
        var json = new Option<bool>("--json") { Description = "Print as JSON." };
        var command = new Command("inspect", "Show a file's format, CSV dialect, inferred (or Parquet) schema and first rows.") { file, rows, json };
        command.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            var path = parse.GetValue(file)!;
            if (Directory.Exists(path)) throw new SluiceException("cli.usage", $"{path} is a folder, not a file; give one of the files in it.");
            if (!File.Exists(path)) throw new SluiceException("cli.usage", $"{path} does not exist.");
            using var inflated = await InflatedInput.OpenAsync(path, Path.GetTempPath(), ct);
            // payments.zip says nothing of what it holds; the name of the file inside it (payments.csv) does.
            var format = DataFormatNames.FromPath(path) ?? (inflated.Entry is { } entry ? DataFormatNames.FromPath(entry) : null)
                         ?? throw new SluiceException("cli.usage", $"cannot tell the format of {path} from its extension ({DataFormatNames.Accepted}).");
            var csv = format == DataFormat.Csv ? CsvDialectSniffer.Detect(inflated.Path, CsvOptions.Default) : CsvOptions.Default;
            var show = parse.GetValue(rows);
            IBatchReader reader;
            IReadOnlyList<ColumnDefinition> shownTypes;
            try
            {
                reader = await OpenAsync(inflated.Path, format, csv, null, show, ct);
                shownTypes = reader.Columns;
                // A number of more than 38 digits has a type (PostgreSQL stores it) but no vector to read it into: its
                // values are shown as the text they are, under the type inferred for them.
                if (reader.Columns.Any(IsWiderThanVectors))
                {
                    await reader.DisposeAsync();
                    var asText = shownTypes.Select(c => IsWiderThanVectors(c) ? c with { Type = new ColumnType(ColumnKind.Text) } : c).ToList();
                    reader = await OpenAsync(inflated.Path, format, csv, asText, show, ct);
                }
            }
            catch (DataFileException e)
            {
                throw new SluiceException(e.Code, $"{path}: {e.Message}");
            }
            await using (reader)
            {
                ColumnBatch batch;
                var problems = new List<string>();
                try
                {
                    // Vectors check their column on creation (numeric wider than 38 digits is refused): inside the try.
                    batch = new ColumnBatch(reader.Columns, show);
                    if (show > 0) await reader.ReadAsync(batch, r => problems.Add($"line {r.Line}: {r.Reason}"), ct);
                }
                catch (DataFileException e)
                {
                    throw new SluiceException(e.Code, $"{path}: {e.Message}");
                }
                var dialect = format == DataFormat.Csv
                    ? new { delimiter = csv.Delimiter == '\t' ? "\\t" : csv.Delimiter.ToString(), quote = csv.Quote.ToString(), header = csv.Header, encoding = csv.Encoding }
                    : null;
                var parquet = reader as ParquetBatchReader;
                // Text columns whose values all fit a common date or number format: the schema entry that reads them typed.
                IReadOnlyList<(string Column, IReadOnlyList<string> Declare)> hints = [];
                if (format != DataFormat.Parquet)
                {
                    await using var sample = await OpenAsync(inflated.Path, format, csv, shownTypes, 0, ct);
                    hints = await FormatGuess.ForTextColumnsAsync(sample, csv.SampleRows, ct);
                }
                if (parse.GetValue(json))
                {
                    JsonOutput.Print(new
                    {
                        file = path, format = DataFormatNames.Name(format), dialect,
                        row_groups = parquet?.RowGroupCount, rows = parquet?.RowCount,
                        columns = shownTypes.Select(c => new { name = c.Name, type = c.Type.ToSql() }),
                        first_rows = Enumerable.Range(0, batch.Count).Select(r => batch.Vectors.Select(v => v.IsNull(r) ? null : v.Show(r))),
                        problems,
                        format_hints = hints.Select(h => new { column = h.Column, declare = h.Declare }),
                    });
                    return 0;
                }
                Terminal.Out.MarkupLine($"[bold]{Markup.Escape(path)}[/]: {DataFormatNames.Name(format)}" +
                    (dialect is null ? "" : $", delimiter '{Markup.Escape(dialect.delimiter)}', quote '{Markup.Escape(dialect.quote)}', header {(dialect.header ? "true" : "false")}, encoding {dialect.encoding}") +
                    (parquet is null ? "" : $", {parquet.RowCount:N0} rows in {parquet.RowGroupCount} row group(s)"));
                var schema = new Table().Border(TableBorder.Simple).AddColumns("column", "type");
                foreach (var c in shownTypes) schema.AddRow(Markup.Escape(c.Name), c.Type.ToSql());
                Terminal.Write(schema);
                if (show > 0)
                {
                    var table = new Table().Border(TableBorder.Simple).AddColumns(reader.Columns.Select(c => Markup.Escape(c.Name)).ToArray());
                    for (var r = 0; r < batch.Count; r++) table.AddRow(batch.Vectors.Select(v => Markup.Escape(v.Show(r))).ToArray());
                    Terminal.Write(table);
                }
                foreach (var p in problems) Terminal.Line($"problem: {p}");
                if (hints.Count > 0)
                {
                    Terminal.Line("columns read as text whose values fit a format; to load them typed, declare in the pipeline's schema:");
                    foreach (var (column, declare) in hints) Terminal.Line($"  {column}: {string.Join("   or   ", declare)}");
                }
                return 0;
            }
        }));
        return command;
    }

    /// <summary>The widest numeric Sluice reads into memory exactly (Parquet's DECIMAL limit too).</summary>
    private const int WidestNumeric = 38;

    private static bool IsWiderThanVectors(ColumnDefinition column) =>
        column.Type is { Kind: ColumnKind.Numeric, Precision: > WidestNumeric };

    /// <summary>The file's reader. A Parquet file whose row groups are too large to decode whole is read through a copy
    /// of only the rows shown (<see cref="ParquetBatchReader"/>'s re-cut, limited), so any file can be inspected.</summary>
    private static async Task<IBatchReader> OpenAsync(string path, DataFormat format, CsvOptions csv, IReadOnlyList<ColumnDefinition>? schema,
        int show, CancellationToken ct) =>
        format == DataFormat.Parquet
            ? await ParquetBatchReader.OpenAsync(path, schema, ct, regroupInto: Path.GetTempPath(), sampleRows: Math.Max(show, 1))
            : await DataFiles.OpenReaderAsync(path, new FileFormatOptions { Format = format, Csv = csv, Schema = schema }, ct);
}
