using Sluice.Formats;
using Sluice.Pipelines;

namespace Sluice.Tests.Pipelines;

/// <summary>A convert pipeline's CSV target has a dialect of its own, read from the target: keys, never taken from the source.</summary>
public class ConvertTargetDialectTests
{
    private const string File = "pipelines/convert.yaml";
    private const string Head = "name: c\non: { bucket: inbox }\nworkflow: convert\nsource: { format: tsv, delimiter: tab, quote: \"'\", null: NULL }\n";

    private static ConvertTarget Target(string target) => PipelineLoader.Parse(Head + $"target: {target}\n", File).Convert!;

    private static string Error(string target, string source = "{ format: tsv }") =>
        Assert.Single(Assert.Throws<PipelineException>(() => PipelineLoader.Parse(
            $"name: c\non: {{ bucket: inbox }}\nworkflow: convert\nsource: {source}\ntarget: {target}\n", File)).Errors).ToString();

    [Fact]
    public void A_csv_target_is_rfc_4180_whatever_the_source_dialect()
    {
        var target = Target("{ format: csv }");

        Assert.Equal((DataFormat.Csv, ".csv"), (target.Format, target.Extension));
        Assert.Same(CsvOptions.Default, target.Csv);
        Assert.Equal((',', '"', '"', true, "utf-8"), (target.Csv.Delimiter, target.Csv.Quote, target.Csv.Escape, target.Csv.Header, target.Csv.Encoding));
        Assert.Equal([""], target.Csv.NullMarkers);
    }

    [Fact]
    public void A_tsv_target_is_csv_with_a_tab_written_to_a_tsv_file_unless_it_names_another_delimiter()
    {
        Assert.Equal((DataFormat.Csv, ".tsv", '\t'), (Target("{ format: tsv }").Format, Target("{ format: tsv }").Extension, Target("{ format: tsv }").Csv.Delimiter));
        Assert.Equal((".tsv", '|'), (Target("{ format: TSV, delimiter: '|' }").Extension, Target("{ format: TSV, delimiter: '|' }").Csv.Delimiter));
        Assert.Equal((".csv", '\t'), (Target("{ format: csv, delimiter: tab }").Extension, Target("{ format: csv, delimiter: tab }").Csv.Delimiter));
    }

    [Theory]
    [InlineData("\"\\t\"")]
    [InlineData("'\\t'")]
    [InlineData("tab")]
    [InlineData("TAB")]
    public void A_target_delimiter_takes_the_words_the_source_delimiter_takes(string written) =>
        Assert.Equal('\t', Target($"{{ format: csv, delimiter: {written} }}").Csv.Delimiter);

    [Fact]
    public void The_target_keys_set_delimiter_quote_header_and_the_null_text_taken_literally()
    {
        var csv = Target("{ format: csv, delimiter: ';', quote: \"'\", header: false, null: NULL }").Csv;

        Assert.Equal((';', '\'', '\'', false), (csv.Delimiter, csv.Quote, csv.Escape, csv.Header));
        Assert.Equal(["NULL"], csv.NullMarkers);
        Assert.Equal([""], Target("{ format: csv, null: \"\" }").Csv.NullMarkers);
    }

    [Theory]
    [InlineData("{ format: parquet, delimiter: ';' }", "5:39: target.delimiter", "parquet")]
    [InlineData("{ format: jsonl, header: false }", "5:34: target.header", "jsonl")]
    [InlineData("{ format: parquet, null: NULL }", "5:34: target.null", "parquet")]
    public void A_dialect_key_on_a_target_that_is_not_csv_is_refused_naming_the_key(string target, string at, string format) =>
        Assert.Equal($"pipelines/convert.yaml:{at}: applies to a CSV target (format csv or tsv) only; {format} has no dialect, so remove " +
                     at[(at.LastIndexOf('.') + 1)..], Error(target));

    [Fact]
    public void A_delimiter_equal_to_the_quote_is_refused_naming_the_key_written()
    {
        Assert.Equal("pipelines/convert.yaml:5:35: target.delimiter: delimiter and quote are both '\"'; they must differ: " +
                     "choose another quote or another delimiter", Error("{ format: csv, delimiter: '\"' }"));
        Assert.Equal("pipelines/convert.yaml:5:31: target.quote: delimiter and quote are both ','; they must differ: " +
                     "choose another quote or another delimiter", Error("{ format: csv, quote: ',' }"));
    }

    [Theory]
    [InlineData("{ format: csv, delimiter: \"\\n\" }", "5:35: target.delimiter: '\\u000a' is not a single character (write one character; a tab as \"\\t\" or tab)")]
    [InlineData("{ format: csv, delimiter: ';;' }", "5:35: target.delimiter: ';;' is not a single character (write one character; a tab as \"\\t\" or tab)")]
    [InlineData("{ format: csv, null: 'a,b' }", "5:30: target.null: 'a,b' holds the delimiter, the quote or a line break, so a null written unquoted " +
                                                 "would not read back as one field; choose a null text without them, such as NULL or \\N")]
    [InlineData("{ format: csv, null: [a, b] }", "5:30: target.null: expected the one text written for a null, as in null: NULL, found a list")]
    [InlineData("{ format: csv, header: maybe }", "5:32: target.header: 'maybe' is not true or false")]
    [InlineData("{ format: txt }", "5:19: target.format: 'txt' is not a format Sluice writes; write format: csv (comma-separated) or tsv (tab-separated)")]
    public void A_bad_target_dialect_is_refused_with_what_to_write(string target, string error) =>
        Assert.Equal("pipelines/convert.yaml:" + error, Error(target));

    [Fact]
    public void A_csv_source_may_be_converted_to_csv_to_change_its_dialect() =>
        Assert.Equal(';', Target("{ format: csv, delimiter: ';' }").Csv.Delimiter);
}
