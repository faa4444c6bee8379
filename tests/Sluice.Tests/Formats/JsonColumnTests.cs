using Sluice.Formats;
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

    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-json-").FullName;

    [Fact]
    public async Task Json_values_go_through_parquet_and_json_lines_and_back_to_the_same_bytes()
    {
        var csv = Write("in.csv", Canonical);
        var parquet = Path.Combine(_dir, "a.parquet");
        var jsonl = Path.Combine(_dir, "b.jsonl");
        var back = Path.Combine(_dir, "back.csv");

        await Convert(csv, DataFormat.Csv, parquet, DataFormat.Parquet);
        await Convert(parquet, DataFormat.Parquet, jsonl, DataFormat.JsonLines);
        await Convert(jsonl, DataFormat.JsonLines, back, DataFormat.Csv);

        Assert.Equal(Canonical, await File.ReadAllTextAsync(back));
    }

    [Fact]
    public async Task An_invalid_json_value_in_csv_is_a_rejected_row_naming_its_line_and_column()
    {
        var csv = Write("bad.csv", "id,doc,doc_b\n1,{},[]\n2,\"{\"\"a\"\": }\",{}\n3,[],\"[1,]\"\n4,{} trailing,1\n5,\"\",2\n");

        var result = await FileConverter.ConvertAsync(csv, new FileFormatOptions { Format = DataFormat.Csv, Schema = Schema },
            Path.Combine(_dir, "out.parquet"), new FileFormatOptions { Format = DataFormat.Parquet }, Path.Combine(_dir, "rejects.csv"), null, CancellationToken.None);

        Assert.Equal((5L, 1L, 4L), (result.Read, result.Written, result.Rejected));
        Assert.Equal((3L, "doc"), (result.FirstReject!.Line, result.FirstReject.Column));
        Assert.StartsWith("'{\"a\": }' is not valid JSON: '}' is an invalid start of a value", result.FirstReject.Reason, StringComparison.Ordinal);
        var rejects = (await File.ReadAllLinesAsync(Path.Combine(_dir, "rejects.csv"))).Skip(1).Select(l => string.Join(',', l.Split(',')[..2]));
        Assert.Equal(["3,doc", "4,doc_b", "5,doc", "6,doc"], rejects);
    }

    [Fact]
    public async Task In_json_lines_a_json_column_takes_nested_values_as_written_and_rejects_strings_that_are_not_json()
    {
        var jsonl = Write("in.jsonl", """
            {"id": 1, "doc": {"a" : [1, 2]}, "doc_b": "{\"as\": \"a string\"}"}
            {"id": 2, "doc": "not json", "doc_b": null}
            {"id": 3, "doc": 1.50, "doc_b": true}

            """);
        var csv = Path.Combine(_dir, "out.csv");

        var result = await FileConverter.ConvertAsync(jsonl, new FileFormatOptions { Format = DataFormat.JsonLines, Schema = Schema }, csv,
            new FileFormatOptions { Format = DataFormat.Csv }, Path.Combine(_dir, "rejects.csv"), null, CancellationToken.None);

        Assert.Equal((2L, "doc"), (result.FirstReject!.Line, result.FirstReject.Column));
        Assert.StartsWith("'not json' is not valid JSON: ", result.FirstReject.Reason, StringComparison.Ordinal);
        Assert.Equal("id,doc,doc_b\n1,\"{\"\"a\"\" : [1, 2]}\",\"{\"\"as\"\": \"\"a string\"\"}\"\n3,1.50,true\n", await File.ReadAllTextAsync(csv));
    }

    [Fact]
    public async Task A_parquet_string_declared_json_that_is_not_json_fails_naming_its_row_and_column()
    {
        var parquet = Path.Combine(_dir, "strings.parquet");
        await DuckDb.QueryAsync($$"""COPY (SELECT * FROM (VALUES (1, '{"ok": true}', '[]'), (2, '{oops', '{}')) t(id, doc, doc_b)) TO '{{parquet}}' (FORMAT parquet)""");

        var error = await Assert.ThrowsAsync<DataFileException>(() => FileConverter.ConvertAsync(parquet,
            new FileFormatOptions { Format = DataFormat.Parquet, Schema = Schema }, Path.Combine(_dir, "out.csv"),
            new FileFormatOptions { Format = DataFormat.Csv }, Path.Combine(_dir, "rejects.csv"), null, CancellationToken.None));

        Assert.Equal(2, error.Line);
        Assert.StartsWith("row 2, column 'doc': '{oops' is not valid JSON", error.Message, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task Convert(string from, DataFormat fromFormat, string to, DataFormat toFormat)
    {
        var result = await FileConverter.ConvertAsync(from, new FileFormatOptions { Format = fromFormat, Schema = Schema }, to,
            new FileFormatOptions { Format = toFormat, Schema = Schema }, to + ".rejects.csv", null, CancellationToken.None);
        Assert.True(result.Rejected == 0, $"{result.FirstReject}");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
