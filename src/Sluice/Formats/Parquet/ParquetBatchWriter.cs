using Parquet;
using Parquet.Data;
using Parquet.Schema;
using Sluice.Formats.Vectors;
using Sluice.Pipelines;

namespace Sluice.Formats.Parquet;

/// <summary>
/// Writes every <see cref="ColumnBatch"/> as one Parquet row group (so memory holds one batch, whatever the file size),
/// with the chosen compression. Parquet.Net dictionary-encodes low-cardinality strings by itself.
/// </summary>
public sealed class ParquetBatchWriter : IBatchWriter
{
    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    private readonly DataField[] _fields;
    private BigDecimal?[] _wide = [];

    private ParquetBatchWriter(FileStream stream, ParquetWriter writer, DataField[] fields)
    {
        _stream = stream;
        _writer = writer;
        _fields = fields;
    }

    /// <summary>Creates (or replaces) <paramref name="path"/>.</summary>
    /// <exception cref="DataFileException">A column's type cannot be written exactly.</exception>
    public static async Task<ParquetBatchWriter> CreateAsync(string path, IReadOnlyList<ColumnDefinition> columns, CompressionMethod compression, CancellationToken ct)
    {
        var schema = ParquetSchemaMapping.ToParquet(columns);
        var stream = Storage.FreshFile.Open(path, FileAccess.ReadWrite);
        try
        {
            var options = new ParquetOptions { CompressionMethod = compression, CompressionLevel = System.IO.Compression.CompressionLevel.Fastest };
            var writer = await ParquetWriter.CreateAsync(schema, stream, options, append: false, ct);
            writer.CustomMetadata = new Dictionary<string, string> { ["created_by_sluice"] = "1" };
            return new ParquetBatchWriter(stream, writer, schema.GetDataFields());
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask WriteAsync(ColumnBatch batch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) return;
        using var group = _writer.CreateRowGroup();
        var n = batch.Count;
        for (var c = 0; c < _fields.Length; c++)
        {
            var field = _fields[c];
            switch (batch.Vectors[c])
            {
                case StringVector s: await group.WriteAsync(field, new ArraySegment<string>(s.Data!, 0, n)); break;
                case StructVector<Guid> v: await group.WriteAsync<Guid>(field, v.Data.AsMemory(0, n), null, null, ct); break;
                case StructVector<bool> v: await group.WriteAsync<bool>(field, v.Data.AsMemory(0, n), null, null, ct); break;
                case StructVector<short> v: await group.WriteAsync<short>(field, v.Data.AsMemory(0, n), null, null, ct); break;
                case StructVector<int> v: await group.WriteAsync<int>(field, v.Data.AsMemory(0, n), null, null, ct); break;
                case StructVector<long> v: await group.WriteAsync<long>(field, v.Data.AsMemory(0, n), null, null, ct); break;
                case StructVector<decimal> v: await group.WriteAsync<decimal>(field, v.Data.AsMemory(0, n), null, null, ct); break;
                case WideDecimalVector v: await group.WriteAsync<BigDecimal>(field, Wide(v, n).AsMemory(0, n), null, null, ct); break;
                case StructVector<float> v: await group.WriteAsync<float>(field, v.Data.AsMemory(0, n), null, null, ct); break;
                case StructVector<double> v: await group.WriteAsync<double>(field, v.Data.AsMemory(0, n), null, null, ct); break;
                case StructVector<DateOnly> v: await group.WriteAsync<DateOnly>(field, v.Data.AsMemory(0, n), null, null, ct); break;
                case StructVector<DateTime> v: await group.WriteAsync<DateTime>(field, v.Data.AsMemory(0, n), null, null, ct); break;
                default: throw new InvalidOperationException($"no Parquet writer for column '{field.Name}'");
            }
        }
    }

    // Parquet.Net writes the unscaled value as it is, in as many bytes as the field's precision needs.
    private BigDecimal?[] Wide(WideDecimalVector vector, int count)
    {
        if (_wide.Length < count) _wide = new BigDecimal?[count];
        for (var row = 0; row < count; row++)
            _wide[row] = vector.IsNull(row) ? null : new BigDecimal(vector.Unscaled(row), vector.Precision, vector.Scale);
        return _wide;
    }

    /// <inheritdoc />
    public async ValueTask CompleteAsync(CancellationToken ct)
    {
        await _writer.DisposeAsync();
        await _stream.FlushAsync(ct);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        await _stream.DisposeAsync();
    }
}
