using System.Text;
using Sluice.Formats;
using Sluice.Formats.Csv;
using Sluice.Formats.Vectors;
using Sluice.Pipelines;

namespace Sluice.Tests.Formats;

public sealed class CsvEdgeCaseTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-csv-").FullName;

    [Fact]
    public async Task Quoted_fields_keep_delimiters_newlines_and_doubled_quotes()
    {
        var rows = await Read("id,note\n1,\"a, b\"\n2,\"two\nlines\"\n3,\"say \"\"hi\"\"\"\n");
        Assert.Equal(["a, b", "two\nlines", "say \"hi\""], rows.Select(r => r[1]));
    }

    [Fact]
    public async Task An_empty_field_is_null_and_a_quoted_empty_field_is_an_empty_string()
    {
        var rows = await Read("id,note\n1,\n2,\"\"\n");
        Assert.Equal([null, ""], rows.Select(r => r[1]));
    }

    [Fact]
    public async Task Empty_lines_are_skipped_and_line_numbers_stay_physical()
    {
        var path = Write("id,note\n1,a\n\n2,b\n\n");
        await using var reader = CsvBatchReader.Open(path, CsvOptions.Default, null);
        var batch = new ColumnBatch(reader.Columns, 10);
        await reader.ReadAsync(batch, _ => Assert.Fail("no reject expected"), CancellationToken.None);
        Assert.Equal([2L, 4L], batch.Lines[..batch.Count]);
    }

    [Fact]
    public async Task A_byte_order_mark_and_crlf_line_endings_are_read_transparently()
    {
        var path = Path.Combine(_dir, "bom.csv");
        await File.WriteAllBytesAsync(path, [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes("id,note\r\n1,\"x\r\ny\"\r\n2,z\r\n")]);
        var rows = await ReadFile(path, CsvDialectSniffer.Detect(path, CsvOptions.Default));
        Assert.Equal(["id", "note"], rows.Columns);
        Assert.Equal(["x\r\ny", "z"], rows.Rows.Select(r => r[1]));
    }

    [Fact]
    public async Task Utf16_with_a_byte_order_mark_is_detected_and_read()
    {
        var path = Path.Combine(_dir, "u16.csv");
        await File.WriteAllBytesAsync(path, [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("id;name\n1;Zoë\n2;日本\n")]);
        var options = CsvDialectSniffer.Detect(path, CsvOptions.Default);
        Assert.Equal(';', options.Delimiter);
        var rows = await ReadFile(path, options);
        Assert.Equal(["Zoë", "日本"], rows.Rows.Select(r => r[1]));
    }

    [Fact]
    public void The_sniffer_finds_tab_delimiters_and_headerless_files()
    {
        var tsv = Write("id\tamount\n1\t2.50\n2\t3.75\n");
        Assert.Equal(('\t', true), (CsvDialectSniffer.Detect(tsv, CsvOptions.Default).Delimiter, CsvDialectSniffer.Detect(tsv, CsvOptions.Default).Header));
        var bare = Write("1,2.50,x\n2,3.75,y\n");
        Assert.False(CsvDialectSniffer.Detect(bare, CsvOptions.Default).Header);
    }

    [Theory]
    [InlineData("id,amount,amount\n1,2.50,3.50\n", "csv.header_duplicate", "Header columns 2 and 3 are both named 'amount'")]
    [InlineData("id,,note\n1,2.50,x\n", "csv.header_empty", "Header column 2 has no name")]
    public void A_header_with_a_repeated_or_empty_name_above_typed_columns_is_refused_not_read_as_a_data_row(string text, string code, string message)
    {
        var path = Write(text);

        var dialect = CsvDialectSniffer.Detect(path, CsvOptions.Default);
        var e = Assert.Throws<CsvFileException>(() => CsvBatchReader.Open(path, dialect, null));

        Assert.True(dialect.Header);
        Assert.Equal((code, 1L), (e.Code, e.Line));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ragged_row_is_rejected_naming_its_line()
    {
        var path = Write("id,note\n1,a\n2,b,extra\n3,c\n");
        await using var reader = CsvBatchReader.Open(path, CsvOptions.Default, null);
        var batch = new ColumnBatch(reader.Columns, 10);
        var rejects = new List<RejectedRow>();
        await reader.ReadAsync(batch, rejects.Add, CancellationToken.None);
        var reject = Assert.Single(rejects);
        Assert.Equal(3, reject.Line);
        Assert.Equal("expected 2 fields, found 3", reject.Reason);
        Assert.Equal(2, batch.Count);
    }

    [Fact]
    public void A_first_record_too_large_to_read_is_named_by_its_line_not_blamed_on_the_header()
    {
        var path = Path.Combine(_dir, "huge.csv");
        using (var file = new StreamWriter(path))
        {
            file.Write("id,big\n1,\"");
            file.Write(new string('x', 17 * 1024 * 1024));
            file.Write("\"\n2,small\n");
        }

        var e = Assert.Throws<CsvFileException>(() => CsvBatchReader.Open(path, CsvOptions.Default, null));

        Assert.Equal(("csv.record_too_large", 2L), (e.Code, e.Line));
        Assert.StartsWith("A record is longer than 16,777,216 characters", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_decimal_with_too_many_places_is_rejected_not_rounded()
    {
        var path = Write("amount\n18071.13\n1.005\n1.500\n");
        var schema = new[] { new ColumnDefinition("amount", new ColumnType(ColumnKind.Numeric, Precision: 14, Scale: 2)) };
        await using var reader = CsvBatchReader.Open(path, CsvOptions.Default, schema);
        var batch = new ColumnBatch(schema, 10);
        var rejects = new List<RejectedRow>();
        await reader.ReadAsync(batch, rejects.Add, CancellationToken.None);
        Assert.Equal("'1.005' has 3 decimal places; numeric(14,2) allows 2", Assert.Single(rejects).Reason);
        Assert.Equal([18071.13m, 1.5m], ((StructVector<decimal>)batch.Vectors[0]).Data[..2].Select(d => d!.Value));
    }

    [Fact]
    public async Task The_writer_quotes_what_needs_it_and_reads_back_identically()
    {
        var schema = new[] { new ColumnDefinition("t", ColumnType.Text) };
        var batch = new ColumnBatch(schema, 8);
        string?[] values = ["a,b", "q\"q", "l\nl", "", null, " s ", "plain"];
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is { } v) batch.Vectors[0].Parse(v, i);
            else batch.Vectors[0].SetNull(i);
        }
        batch.Count = values.Length;
        var path = Path.Combine(_dir, "w.csv");
        await using (var writer = new CsvBatchWriter(path, schema, CsvOptions.Default))
        {
            await writer.WriteAsync(batch, CancellationToken.None);
            await writer.CompleteAsync(CancellationToken.None);
        }
        Assert.Equal("t\n\"a,b\"\n\"q\"\"q\"\n\"l\nl\"\n\"\"\n\n\" s \"\nplain\n", await File.ReadAllTextAsync(path));
        var back = await ReadFile(path, CsvOptions.Default, schema);
        Assert.Equal(values, back.Rows.Select(r => r[0]));
    }

    [Fact]
    public async Task A_boolean_column_takes_the_spellings_the_loader_and_PostgreSQL_take_and_names_them_when_refusing()
    {
        var path = Write("flag\ntrue\nT\nyes\nY\non\n1\nfalse\nf\nNO\nn\nOff\n0\nmaybe\n");
        await using var reader = CsvBatchReader.Open(path, CsvOptions.Default, [new ColumnDefinition("flag", new ColumnType(ColumnKind.Boolean))]);
        var batch = new ColumnBatch(reader.Columns, 100);
        var rejects = new List<RejectedRow>();
        await reader.ReadAsync(batch, rejects.Add, CancellationToken.None);

        Assert.Equal(["true", "true", "true", "true", "true", "true", "false", "false", "false", "false", "false", "false"],
            Enumerable.Range(0, batch.Count).Select(r => batch.Vectors[0].Show(r)));
        var refused = Assert.Single(rejects);
        Assert.Equal(14L, refused.Line);
        Assert.Contains("is not a boolean (true/false, t/f, yes/no, y/n, on/off or 1/0)", refused.Reason);
    }

    private string Write(string text)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".csv");
        File.WriteAllText(path, text);
        return path;
    }

    private async Task<List<string?[]>> Read(string text) => (await ReadFile(Write(text), CsvOptions.Default)).Rows;

    private static async Task<(List<string> Columns, List<string?[]> Rows)> ReadFile(string path, CsvOptions options, IReadOnlyList<ColumnDefinition>? schema = null)
    {
        schema ??= CsvSchemaInference.Infer(path, options).Select(c => c with { Type = ColumnType.Text }).ToArray();
        await using var reader = CsvBatchReader.Open(path, options, schema);
        var batch = new ColumnBatch(reader.Columns, 100);
        await reader.ReadAsync(batch, r => Assert.Fail(r.Reason), CancellationToken.None);
        var rows = Enumerable.Range(0, batch.Count)
            .Select(r => batch.Vectors.Select(v => v.IsNull(r) ? null : ((StringVector)v).Data[r]).ToArray()).ToList();
        return (reader.Columns.Select(c => c.Name).ToList(), rows);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
