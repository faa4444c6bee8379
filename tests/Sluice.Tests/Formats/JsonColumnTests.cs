using Sluice.Formats;
using Sluice.Formats.JsonLines;
using Sluice.Pipelines;
using Sluice.Stages.Conversion;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Formats;

public sealed class JsonColumnTests : IDisposable
{
    private static readonly ColumnDefinition[] Schema =
    [
        new("id", ColumnType.BigInt),
        new("doc", new ColumnType(ColumnKind.Json)),
        new("doc_b", new ColumnType(ColumnKind.Jsonb)),
    ];

    // JSON null and SQL NULL stay apart: "null" is the JSON text null, an empty field is NULL.
    private const string Canonical = """"
        id,doc,doc_b
        1,"{""a"": 1, ""b"": [true, false, null]}","[1, 2.50, ""x""]"
        2,"""just a string""",null
        3,"  { ""spaced"" : 1 }  ",12.50
        4,"{""text"": ""ünï € 🎉"", ""escaped"": ""\""q\"" \n \u00e9""}",{}
        5,"{
          ""multi"": ""line""
        }",
        6,,[]

        """";

    private readonly ScratchFiles _files = new(Schema);

    [Fact]
    public async Task A_json_lines_value_nested_deeper_than_64_levels_is_read_and_inferred_as_json()
    {
        // PostgreSQL takes this value; System.Text.Json's default depth of 64 did not.
        var nested = new string('[', 100) + new string(']', 100);
        var jsonl = _files.Write("deep.jsonl", $"{{\"id\":1,\"doc\":{nested},\"doc_b\":{{\"a\":{nested}}}}}\n");
        var csv = _files.Path("deep.csv");

        await _files.ConvertAsync(jsonl, DataFormat.JsonLines, csv, DataFormat.Csv);

        Assert.Equal($"id,doc,doc_b\n1,{nested},\"{{\"\"a\"\":{nested}}}\"\n", await File.ReadAllTextAsync(csv));
        Assert.Equal([ColumnKind.BigInt, ColumnKind.Json, ColumnKind.Json], JsonLinesSchemaInference.Infer(jsonl, 10).Select(c => c.Type.Kind));
    }

    [Fact]
    public async Task Json_values_go_through_parquet_and_json_lines_and_back_to_the_same_bytes()
    {
        var csv = _files.Write("in.csv", Canonical);
        var parquet = _files.Path("a.parquet");
        var jsonl = _files.Path("b.jsonl");
        var back = _files.Path("back.csv");

        await _files.ConvertAsync(csv, DataFormat.Csv, parquet, DataFormat.Parquet);
        await _files.ConvertAsync(parquet, DataFormat.Parquet, jsonl, DataFormat.JsonLines);
        await _files.ConvertAsync(jsonl, DataFormat.JsonLines, back, DataFormat.Csv);

        Assert.Equal(Canonical, await File.ReadAllTextAsync(back));
    }

    [Fact]
    public async Task An_invalid_json_value_in_csv_is_a_rejected_row_naming_its_line_and_column()
    {
        var csv = _files.Write("bad.csv", "id,doc,doc_b\n1,{},[]\n2,\"{\"\"a\"\": }\",{}\n3,[],\"[1,]\"\n4,{} trailing,1\n5,\"\",2\n");

        var result = await FileConverter.ConvertAsync(csv, new FileFormatOptions { Format = DataFormat.Csv, Schema = Schema },
            _files.Path("out.parquet"), new FileFormatOptions { Format = DataFormat.Parquet }, _files.Path("rejects.csv"), null, CancellationToken.None);

        Assert.Equal((5L, 1L, 4L), (result.Read, result.Written, result.Rejected));
        Assert.Equal((3L, "doc"), (result.FirstReject!.Line, result.FirstReject.Column));
        Assert.StartsWith("'{\"a\": }' is not valid JSON: '}' is an invalid start of a value", result.FirstReject.Reason, StringComparison.Ordinal);
        var rejects = (await File.ReadAllLinesAsync(_files.Path("rejects.csv"))).Skip(1).Select(l => string.Join(',', l.Split(',')[..2]));
        Assert.Equal(["3,doc", "4,doc_b", "5,doc", "6,doc"], rejects);
    }

    [Fact]
    public async Task In_json_lines_a_json_column_takes_nested_values_as_written_and_rejects_strings_that_are_not_json()
    {
        var jsonl = _files.Write("in.jsonl", """
            {"id": 1, "doc": {"a" : [1, 2]}, "doc_b": "{\"as\": \"a string\"}"}
            {"id": 2, "doc": "not json", "doc_b": null}
            {"id": 3, "doc": 1.50, "doc_b": true}

            """);
        var csv = _files.Path("out.csv");

        var result = await FileConverter.ConvertAsync(jsonl, new FileFormatOptions { Format = DataFormat.JsonLines, Schema = Schema }, csv,
            new FileFormatOptions { Format = DataFormat.Csv }, _files.Path("rejects.csv"), null, CancellationToken.None);

        Assert.Equal((2L, "doc"), (result.FirstReject!.Line, result.FirstReject.Column));
        Assert.StartsWith("'not json' is not valid JSON: ", result.FirstReject.Reason, StringComparison.Ordinal);
        Assert.Equal("id,doc,doc_b\n1,\"{\"\"a\"\" : [1, 2]}\",\"{\"\"as\"\": \"\"a string\"\"}\"\n3,1.50,true\n", await File.ReadAllTextAsync(csv));
    }

    [Fact]
    public async Task A_parquet_string_declared_json_that_is_not_json_fails_naming_its_row_and_column()
    {
        var parquet = _files.Path("strings.parquet");
        await DuckDb.QueryAsync($$"""COPY (SELECT * FROM (VALUES (1, '{"ok": true}', '[]'), (2, '{oops', '{}')) t(id, doc, doc_b)) TO '{{parquet}}' (FORMAT parquet)""");

        var error = await Assert.ThrowsAsync<DataFileException>(() => FileConverter.ConvertAsync(parquet,
            new FileFormatOptions { Format = DataFormat.Parquet, Schema = Schema }, _files.Path("out.csv"),
            new FileFormatOptions { Format = DataFormat.Csv }, _files.Path("rejects.csv"), null, CancellationToken.None));

        Assert.Equal(2, error.Line);
        Assert.StartsWith("row 2, column 'doc': '{oops' is not valid JSON", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _files.Dispose();
}
