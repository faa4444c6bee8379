using System.Text;
using System.Text.Json;
using Sluice.Formats.Vectors;
using Sluice.Pipelines;

namespace Sluice.Formats.JsonLines;

/// <summary>
/// Reads JSON Lines (one object per line, UTF-8) into <see cref="ColumnBatch"/>es. Keys are matched to columns by
/// name; a missing key or <c>null</c> is null; a key outside the schema, a line that is not an object, or a value that
/// does not fit its column rejects the row with its line number; so does a key given twice. Numbers are read from their digits, never through
/// a double, so a numeric column stays exact; a nested object or array fits a json or text column as its JSON text.
/// Blank lines are skipped.
/// </summary>
public sealed class JsonLinesBatchReader : IBatchReader
{
    /// <summary>A line is an object holding values that may nest as deep as a json value may (System.Text.Json's default
    /// of 64 would reject valid nested values PostgreSQL takes).</summary>
    internal static readonly JsonReaderOptions LineOptions = new() { MaxDepth = JsonText.MaxDepth + 1 };

    private readonly Utf8LineReader _lines;
    private readonly byte[][] _names;
    private readonly bool[] _seen;
    private char[] _chars = new char[256];

    private readonly bool _skipOtherKeys;
    private readonly List<string> _skippedKeys = [];
    private readonly HashSet<string> _skippedNames = new(StringComparer.Ordinal);

    private JsonLinesBatchReader(Utf8LineReader lines, IReadOnlyList<ColumnDefinition> columns, bool skipOtherKeys)
    {
        _lines = lines;
        _skipOtherKeys = skipOtherKeys;
        Columns = columns;
        _names = columns.Select(c => Encoding.UTF8.GetBytes(c.Name)).ToArray();
        _seen = new bool[columns.Count];
    }

    /// <inheritdoc />
    public IReadOnlyList<ColumnDefinition> Columns { get; }

    /// <summary>Opens a file; without <paramref name="schema"/> the columns are inferred from the first <paramref name="sampleRows"/> lines.</summary>
    /// <param name="skipOtherKeys">Whether a key outside the schema is skipped (a load that takes some of the keys, as
    /// a CSV load skips header columns outside its schema) instead of rejecting its row; see <see cref="SkippedKeys"/>.</param>
    public static JsonLinesBatchReader Open(string path, IReadOnlyList<ColumnDefinition>? schema, int sampleRows, bool skipOtherKeys = false)
    {
        var columns = schema ?? JsonLinesSchemaInference.Infer(path, sampleRows);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return new JsonLinesBatchReader(new Utf8LineReader(stream), columns, skipOtherKeys);
    }

    /// <summary>The most keys outside the schema <see cref="SkippedKeys"/> names.</summary>
    public const int SkippedKeysNamed = 20;

    /// <summary>Keys outside the schema that were skipped, the first <see cref="SkippedKeysNamed"/> of them, each with the
    /// line it was first seen on.</summary>
    public IReadOnlyList<string> SkippedKeys => _skippedKeys;

    /// <inheritdoc />
    public ValueTask<bool> ReadAsync(ColumnBatch batch, Action<RejectedRow> rejected, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(rejected);
        batch.Count = 0;
        while (!batch.IsFull && _lines.TryRead(out var line))
        {
            if (line.Trim(" \t"u8).IsEmpty) continue;
            string? column = null;
            string? reason;
            try
            {
                reason = ReadRow(line, batch, out column);
            }
            catch (JsonException e)
            {
                reason = $"invalid JSON: {e.Message.Split(" LineNumber:")[0].TrimEnd('.')}";
            }
            catch (InvalidOperationException e) when (IsUnpairedSurrogate(e))
            {
                reason = UnpairedSurrogate;
            }
            if (reason is not null)
            {
                rejected(new RejectedRow(_lines.Line, column, reason, Encoding.UTF8.GetString(line)));
                continue;
            }
            batch.Lines[batch.Count++] = _lines.Line;
            if ((batch.Count & 0x3FFF) == 0) ct.ThrowIfCancellationRequested();
        }
        return ValueTask.FromResult(batch.Count > 0);
    }

    private string? ReadRow(ReadOnlySpan<byte> line, ColumnBatch batch, out string? column)
    {
        column = null;
        var row = batch.Count;
        var vectors = batch.Vectors;
        Array.Clear(_seen);
        var json = new Utf8JsonReader(line, LineOptions);
        if (!json.Read() || json.TokenType != JsonTokenType.StartObject) return "the line is not a JSON object";
        var expected = 0;
        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            var c = Find(ref json, expected);
            if (c < 0 && _skipOtherKeys)
            {
                NoteSkipped(json.GetString()!);
                json.Read();
                json.Skip();
                continue;
            }
            if (c < 0) return $"key '{json.GetString()}' is not a column of the schema ({string.Join(", ", batch.Columns.Select(x => x.Name))})";
            // A repeated key holds two values for one column: which one is meant cannot be told, so the row is rejected.
            if (_seen[c]) return $"key '{batch.Columns[c].Name}' appears more than once in the object";
            expected = c + 1;
            _seen[c] = true;
            var vector = vectors[c];
            column = vector.Column.Name;
            json.Read();
            if (ReadValue(ref json, line, vector, row) is { } reason) return reason;
        }
        for (var c = 0; c < vectors.Length; c++)
        {
            if (_seen[c]) continue;
            column = vectors[c].Column.Name;
            if (!vectors[c].Column.Nullable) return $"null in not-null column '{column}' (the key is missing)";
            vectors[c].SetNull(row);
        }
        while (json.Read()) { } // trailing content after the object fails the row
        column = null;
        return null;
    }

    /// <summary>Why a line whose string holds an escaped half of a surrogate pair (<c>"\ud800"</c>) is rejected: JSON's
    /// grammar allows it, but it is no character, and no text column (nor PostgreSQL's UTF-8) can hold it.</summary>
    internal const string UnpairedSurrogate =
        "invalid JSON: a string holds an unpaired surrogate escape (\\uD800 to \\uDFFF without its other half), which is no character";

    /// <summary>Whether System.Text.Json refused to decode a string for an unpaired surrogate escape (it throws
    /// <see cref="InvalidOperationException"/> for it, not <see cref="JsonException"/>).</summary>
    internal static bool IsUnpairedSurrogate(InvalidOperationException e) => e.Message.Contains("surrogate", StringComparison.OrdinalIgnoreCase);

    private void NoteSkipped(string key)
    {
        if (_skippedNames.Count < SkippedKeysNamed && _skippedNames.Add(key)) _skippedKeys.Add($"'{key}' (first on line {_lines.Line})");
    }

    private int Find(ref Utf8JsonReader json, int expected)
    {
        if (expected < _names.Length && json.ValueTextEquals(_names[expected])) return expected;
        for (var c = 0; c < _names.Length; c++)
            if (json.ValueTextEquals(_names[c])) return c;
        return -1;
    }

    private string? ReadValue(ref Utf8JsonReader json, ReadOnlySpan<byte> line, ColumnVector vector, int row)
    {
        switch (json.TokenType)
        {
            case JsonTokenType.Null:
                if (!vector.Column.Nullable) return $"null in not-null column '{vector.Column.Name}'";
                vector.SetNull(row);
                return null;
            case JsonTokenType.String:
                if (vector is StringVector strings) return strings.Set(json.GetString()!, row);
                var length = json.HasValueSequence ? (int)json.ValueSequence.Length : json.ValueSpan.Length;
                if (_chars.Length < length) _chars = new char[Math.Max(length, _chars.Length * 2)];
                var copied = json.CopyString(_chars);
                return vector.ParseField(_chars.AsSpan(0, copied), row);
            case JsonTokenType.Number:
            {
                var raw = json.ValueSpan;
                if (_chars.Length < raw.Length) _chars = new char[Math.Max(raw.Length, _chars.Length * 2)];
                var n = Encoding.UTF8.GetChars(raw, _chars);
                return vector.Parse(_chars.AsSpan(0, n), row);
            }
            case JsonTokenType.True:
                return vector.Parse("true", row);
            case JsonTokenType.False:
                return vector.Parse("false", row);
            default:
                if (vector.Column.Type.Kind is not (ColumnKind.Json or ColumnKind.Jsonb or ColumnKind.Text))
                    return $"a nested JSON value does not fit column '{vector.Column.Name}' ({vector.Column.Type.ToSql()})";
                var start = (int)json.TokenStartIndex;
                json.Skip();
                return vector.Parse(Encoding.UTF8.GetString(line[start..(int)json.BytesConsumed]), row);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _lines.Dispose();
        return ValueTask.CompletedTask;
    }
}
