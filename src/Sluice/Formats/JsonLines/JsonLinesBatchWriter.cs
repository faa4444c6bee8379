using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Pipelines;

namespace Sluice.Formats.JsonLines;

/// <summary>
/// Writes <see cref="ColumnBatch"/>es as JSON Lines in UTF-8: one object per row, keys in column order, null as
/// <c>null</c>. Numerics are JSON numbers written from their decimal digits (exact); timestamps ISO 8601 strings
/// (<c>2026-01-31T12:00:00.5</c>, a <c>Z</c> for timestamptz); non-ASCII text unescaped.
/// </summary>
public sealed class JsonLinesBatchWriter : IBatchWriter
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };
    private readonly FileStream _stream;
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 17);
    private readonly Utf8JsonWriter _json;
    private readonly JsonEncodedText[] _names;

    /// <summary>Creates (or replaces) <paramref name="path"/>.</summary>
    public JsonLinesBatchWriter(string path, IReadOnlyList<ColumnDefinition> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _stream = Storage.FreshFile.Open(path);
        _json = new Utf8JsonWriter(_buffer, Options);
        _names = columns.Select(c => JsonEncodedText.Encode(c.Name, Options.Encoder)).ToArray();
    }

    /// <inheritdoc />
    public async ValueTask WriteAsync(ColumnBatch batch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        for (var row = 0; row < batch.Count; row++)
        {
            _json.Reset();
            _json.WriteStartObject();
            for (var c = 0; c < _names.Length; c++)
            {
                _json.WritePropertyName(_names[c]);
                var vector = batch.Vectors[c];
                if (vector.IsNull(row)) _json.WriteNullValue();
                else vector.WriteJson(row, _json);
            }
            _json.WriteEndObject();
            _json.Flush();
            _buffer.Write("\n"u8);
            if (_buffer.WrittenCount > 1 << 16)
            {
                await _stream.WriteAsync(_buffer.WrittenMemory, ct);
                _buffer.ResetWrittenCount();
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask CompleteAsync(CancellationToken ct)
    {
        await _stream.WriteAsync(_buffer.WrittenMemory, ct);
        _buffer.ResetWrittenCount();
        await _stream.FlushAsync(ct);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _json.DisposeAsync();
        await _stream.DisposeAsync();
    }
}
