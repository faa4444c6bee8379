using System.Buffers.Binary;
using Sluice.Pipelines;
using Sluice.Stages.Transform;

namespace Sluice.Tests.Transform;

public sealed class LoadArtifactBuilderTests : IDisposable
{
    private static readonly ColumnDefinition[] Schema =
    [
        new("id", ColumnType.BigInt, Nullable: false),
        new("amount", new ColumnType(ColumnKind.Numeric, Precision: 14, Scale: 2)),
        new("note", ColumnType.Text),
    ];

    private readonly TransformFiles _files = new();

    [Fact]
    public async Task Rejects_carry_the_physical_line_even_after_a_quoted_newline()
    {
        _files.WriteSource("id,amount,note\n1,10.00,\"two\nlines\"\n2,12.345,x\r\n3,1.00,ok\n\n4,abc,=cmd()\n");

        var result = await _files.Build(Schema);

        Assert.Equal((4L, 2L, 2L, 0L), (result.Read, result.Written, result.Rejected, result.Filtered));
        Assert.Equal(
            [
                "4,amount,\"'12.345' has 3 decimal places; numeric(14,2) allows 2\",\"2,12.345,x\"",
                "7,amount,\"'abc' is not a valid numeric(14,2)\",\"4,abc,=cmd()\"",
            ],
            _files.RejectLines(result));
    }

    [Fact]
    public async Task Read_always_equals_written_plus_rejected_plus_filtered()
    {
        var lines = Enumerable.Range(1, 1000).Select(i => i % 7 == 0 ? $"{i},bad,x" : i % 11 == 0 ? $"{i},1" : $"{i},{i}.5,\"n,{i}\"");
        _files.WriteSource("id,amount,note\n" + string.Join("\n", lines));

        var result = await _files.Build(Schema);

        Assert.Equal(1000, result.Read);
        Assert.Equal(result.Read, result.Written + result.Rejected + result.Filtered);
        Assert.Equal(142 + 90 - 12, result.Rejected);
        Assert.Equal(result.Rejected, _files.RejectLines(result).Length);
    }

    [Fact]
    public async Task A_record_with_the_wrong_field_count_is_rejected_with_its_line()
    {
        _files.WriteSource("id,amount,note\n1,2.00\n2,3.00,x\n");

        var result = await _files.Build(Schema);

        Assert.Equal(["2,,\"expected 3 fields, found 2\",\"1,2.00\""], _files.RejectLines(result));
    }

    [Fact]
    public async Task Reject_cells_that_a_spreadsheet_would_run_as_formulas_are_defused()
    {
        _files.WriteSource("id,amount,note\n=1+1,1.00,x\n");

        var result = await _files.Build(Schema);

        Assert.Equal(["2,id,'=1+1' is not a valid bigint,\"'=1+1,1.00,x\""], _files.RejectLines(result));
    }

    [Fact]
    public async Task A_blank_line_in_a_one_column_file_is_a_null_row_not_a_lost_one()
    {
        _files.WriteSource("note\na\n\nb\n");

        var result = await _files.Build([new ColumnDefinition("note", ColumnType.Text)]);

        Assert.Equal((3L, 3L), (result.Read, result.Written));
    }

    [Fact]
    public async Task Null_in_a_not_null_column_is_rejected()
    {
        _files.WriteSource("id,amount,note\n,1.00,x\n");

        var result = await _files.Build(Schema);

        Assert.Equal(["2,id,null in not-null column 'id',\",1.00,x\""], _files.RejectLines(result));
    }

    [Theory]
    [InlineData("id,amount,note\n1,1.00,x\n2,2.00,\"never closed\n3,3.00,y\n")]
    [InlineData("id,amount,note\n1,1.00,x\n2,2.00,\"closed\" \n3,3.00,y\n4,4.00,\"z\"\n")] // a space after the closing quote
    [InlineData("id,amount,note\n1,1.00,x\n2,2.00,\"closed\" ,\n3,3.00,y\n")]
    public async Task A_quoted_field_never_closed_fails_the_file_naming_its_line_instead_of_swallowing_the_lines_after_it(string csv)
    {
        _files.WriteSource(csv);

        var error = await Assert.ThrowsAsync<TransformException>(() => _files.Build(Schema));

        Assert.Equal("csv.unterminated_quote", error.Code);
        Assert.Contains("line 3", error.Message);
        Assert.Contains("followed by the delimiter or the end of the line", error.Message);
    }

    [Fact]
    public async Task Invalid_utf8_rejects_only_the_rows_that_hold_it()
    {
        var bytes = "id,amount,note\n1,1.00,caf\u00e9\n2,2.00,bad"u8.ToArray().Concat(new byte[] { 0xC3, 0x28 }).Concat("\n3,3.00,ok\n"u8.ToArray()).ToArray();
        _files.WriteSource(bytes);

        var result = await _files.Build(Schema);

        Assert.Equal((3L, 2L, 1L), (result.Read, result.Written, result.Rejected));
        Assert.Equal("3,,invalid UTF-8 bytes,\"2,2.00,bad\uFFFD(\"", _files.RejectLines(result)[0]);
    }

    [Fact]
    public async Task A_utf8_bom_is_not_part_of_the_first_header_name()
    {
        _files.WriteSource([0xEF, 0xBB, 0xBF, .. "id,amount,note\r\n1,1.00,x\r\n"u8]);

        var result = await _files.Build(Schema);

        Assert.Equal((1L, 1L), (result.Read, result.Written));
    }

    [Fact]
    public async Task Columns_are_written_in_schema_order_with_the_job_id_last()
    {
        _files.WriteSource("note,extra,id\nhello,zzz,42\n");
        var schema = new ColumnDefinition[] { new("id", ColumnType.BigInt), new("note", ColumnType.Text) };
        var jobId = Guid.NewGuid();

        var result = await LoadArtifactBuilder.BuildAsync(
            new TransformRequest(_files.Source, CsvOptions.Default, schema, _files.Output, jobId, IncludeLineageColumn: true), CancellationToken.None);

        var row = File.ReadAllBytes(result.DataPath).AsSpan(19);
        Assert.Equal(3, BinaryPrimitives.ReadInt16BigEndian(row));
        Assert.Equal(42, BinaryPrimitives.ReadInt64BigEndian(row[6..]));
        Assert.Equal("hello"u8.ToArray(), row.Slice(18, 5).ToArray());
        Assert.Equal(jobId.ToByteArray(bigEndian: true), row.Slice(27, 16).ToArray());
        Assert.Equal(["Header column 'extra' (position 2) is not in the schema and was skipped."], result.Warnings);
    }

    [Fact]
    public async Task Without_a_header_schema_columns_map_by_position()
    {
        _files.WriteSource("1,2.50,a\n2,3.50,b\n");

        var result = await _files.Build(Schema, CsvOptions.Default with { Header = false });

        Assert.Equal((2L, 2L), (result.Read, result.Written));
    }

    [Fact]
    public async Task A_schema_column_missing_from_the_header_is_a_terminal_error()
    {
        _files.WriteSource("id,note\n1,x\n");

        var error = await Assert.ThrowsAsync<TransformException>(() => _files.Build(Schema));

        Assert.Equal("csv.missing_column", error.Code);
        Assert.Contains("'amount'", error.Message);
        Assert.Contains(_files.Source, error.Message);
    }

    [Theory]
    [InlineData("id,,note\n", "csv.header_empty", "column 2")]
    [InlineData("id,amount,id\n", "csv.header_duplicate", "columns 1 and 3")]
    public async Task Unusable_header_names_are_terminal_errors(string header, string code, string names)
    {
        _files.WriteSource(header + "1,2,3\n");

        var error = await Assert.ThrowsAsync<TransformException>(() => _files.Build(null));

        Assert.Equal(code, error.Code);
        Assert.Contains(names, error.Message);
    }

    [Fact]
    public async Task A_header_name_over_63_bytes_is_a_terminal_error_when_inferring()
    {
        _files.WriteSource($"id,{new string('é', 32)}\n1,2\n");

        var error = await Assert.ThrowsAsync<TransformException>(() => _files.Build(null));

        Assert.Equal("csv.header_too_long", error.Code);
    }

    [Fact]
    public async Task A_missing_source_file_is_a_terminal_error()
    {
        var error = await Assert.ThrowsAsync<TransformException>(() => _files.Build(Schema));

        Assert.Equal("source.missing", error.Code);
    }

    [Fact]
    public async Task Malformed_quoting_mid_file_is_a_terminal_error_naming_the_line()
    {
        _files.WriteSource("id,amount,note\n1,1.00,x\n2,2.00,\"ab\"c\n3,3.00,y\n");

        var error = await Assert.ThrowsAsync<TransformException>(() => _files.Build(Schema));

        Assert.Equal("csv.malformed_quote", error.Code);
        Assert.Contains("line 3", error.Message);
        Assert.False(File.Exists(Path.Combine(_files.Output, LoadArtifactBuilder.DataFileName)));
    }

    [Fact]
    public async Task A_header_without_any_schema_column_hints_at_the_delimiter_or_encoding()
    {
        _files.WriteSource("id;amount;note\n1;1.00;x\n");

        var error = await Assert.ThrowsAsync<TransformException>(() => _files.Build(Schema));

        Assert.Equal("csv.missing_column", error.Code);
        Assert.Contains("which reads 'id;amount;note': the file may use another delimiter (source.delimiter) or encoding", error.Message);
    }

    public void Dispose() => _files.Dispose();
}
