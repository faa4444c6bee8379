using Sluice.Formats;
using Sluice.Formats.JsonLines;
using Sluice.Pipelines;

namespace Sluice.Tests.Formats;

public sealed class JsonLinesEdgeCaseTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-jsonl-").FullName;

    [Fact]
    public async Task A_key_given_twice_in_one_object_rejects_the_row_naming_it_instead_of_keeping_the_last_value()
    {
        var path = Path.Combine(_dir, "dup.jsonl");
        await File.WriteAllTextAsync(path, "{\"id\":1,\"amount\":2.50}\n{\"id\":3,\"id\":4,\"amount\":1.00}\n");
        ColumnDefinition[] schema = [new("id", ColumnType.BigInt), new("amount", new ColumnType(ColumnKind.Numeric, Precision: 14, Scale: 2))];
        await using var reader = JsonLinesBatchReader.Open(path, schema, 10);
        var batch = new ColumnBatch(schema, 10);
        var rejects = new List<RejectedRow>();

        await reader.ReadAsync(batch, rejects.Add, CancellationToken.None);

        var reject = Assert.Single(rejects);
        Assert.Equal((2L, "id", "key 'id' appears more than once in the object"), (reject.Line, reject.Column, reject.Reason));
        Assert.Equal(1, batch.Count);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
