using System.Buffers;
using System.Text;
using Sluice.Formats.Vectors;
using Sluice.Pipelines;

namespace Sluice.Formats.Csv;

/// <summary>
/// Writes <see cref="ColumnBatch"/>es as CSV in UTF-8 without BOM, LF line endings, and the dialect's header line (or none),
/// delimiter and quote. A null is the dialect's first null marker unquoted (by default an empty field); an empty string
/// is <c>""</c>; a value holding the delimiter, a quote, a line break, or equal to a null marker is quoted with the quote
/// doubled (or escaped by a distinct escape) — so the file reads back to the same values under the same
/// <see cref="CsvOptions"/>. Any value is checked, not only text: with a delimiter such as <c>.</c> or <c>-</c> a
/// number or a date holds it.
/// </summary>
public sealed class CsvBatchWriter : IBatchWriter
{
    private readonly StreamWriter _writer;
    private readonly CsvOptions _options;
    private readonly string _nullText;
    private readonly SearchValues<char> _needsQuotes;

    /// <summary>Creates (or replaces) <paramref name="path"/> and writes the header.</summary>
    public CsvBatchWriter(string path, IReadOnlyList<ColumnDefinition> columns, CsvOptions options)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _nullText = options.NullMarkers.Count > 0 ? options.NullMarkers[0] : "";
        _needsQuotes = SearchValues.Create([options.Delimiter, options.Quote, options.Escape, '\r', '\n']);
        _writer = new StreamWriter(Storage.FreshFile.Open(path), new UTF8Encoding(false), 1 << 16)
        {
            NewLine = "\n",
        };
        if (options.Header)
        {
            for (var c = 0; c < columns.Count; c++)
            {
                if (c > 0) _writer.Write(options.Delimiter);
                WriteText(columns[c].Name);
            }
            _writer.Write('\n');
        }
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(ColumnBatch batch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var vectors = batch.Vectors;
        for (var row = 0; row < batch.Count; row++)
        {
            for (var c = 0; c < vectors.Length; c++)
            {
                if (c > 0) _writer.Write(_options.Delimiter);
                var vector = vectors[c];
                if (vector.IsNull(row))
                {
                    _writer.Write(_nullText);
                    continue;
                }
                WriteText(vector is StringVector strings ? strings.Data[row]! : vector.Text(row));
            }
            _writer.Write('\n');
        }
        ct.ThrowIfCancellationRequested();
        return ValueTask.CompletedTask;
    }

    private void WriteText(string text)
    {
        if (text.Length > 0 && text.AsSpan().IndexOfAny(_needsQuotes) < 0 && !IsNullMarker(text) && text[0] != ' ' && text[^1] != ' ')
        {
            _writer.Write(text);
            return;
        }
        _writer.Write(_options.Quote);
        foreach (var ch in text)
        {
            if (ch == _options.Quote || (ch == _options.Escape && _options.Escape != _options.Quote)) _writer.Write(_options.Escape);
            _writer.Write(ch);
        }
        _writer.Write(_options.Quote);
    }

    private bool IsNullMarker(string text)
    {
        foreach (var marker in _options.NullMarkers)
            if (text == marker) return true;
        return false;
    }

    /// <inheritdoc />
    public async ValueTask CompleteAsync(CancellationToken ct) => await _writer.FlushAsync(ct);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
