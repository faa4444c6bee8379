using System.Text.Json;
using Sluice.Formats.Vectors;
using Sluice.Pipelines;
using Sluice.Postgres.Copy;

namespace Sluice.Formats.JsonLines;

/// <summary>
/// Infers columns from the first lines of a JSON Lines file: keys in order of first appearance; JSON types decide the
/// column type (integers → bigint, decimals → numeric(p,s) with precision at least 18, exponents → double precision,
/// booleans → boolean, objects and arrays → json); strings are text unless every sample is a date, timestamp,
/// timestamptz or uuid. A key whose samples disagree (a number here, a string there) becomes text. All nullable.
/// </summary>
public static class JsonLinesSchemaInference
{
    /// <summary>Infers the columns of the file at <paramref name="path"/>.</summary>
    /// <exception cref="DataFileException">No sampled line is a JSON object.</exception>
    public static IReadOnlyList<ColumnDefinition> Infer(string path, int sampleRows)
    {
        var stats = new Dictionary<string, KeyStats>(StringComparer.Ordinal);
        var order = new List<string>();
        using var lines = new Utf8LineReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16));
        var anyLine = false;
        for (var sampled = 0; sampled < sampleRows && lines.TryRead(out var line);)
        {
            if (line.Trim(" \t"u8).IsEmpty) continue;
            anyLine = true;
            try
            {
                var json = new Utf8JsonReader(line, JsonLinesBatchReader.LineOptions);
                if (!json.Read() || json.TokenType != JsonTokenType.StartObject) continue;
                sampled++;
                while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
                {
                    var name = json.GetString()!;
                    if (!stats.TryGetValue(name, out var s))
                    {
                        stats[name] = s = new KeyStats();
                        order.Add(name);
                    }
                    json.Read();
                    s.Observe(ref json);
                }
            }
            catch (Exception e) when (e is JsonException || (e is InvalidOperationException i && JsonLinesBatchReader.IsUnpairedSurrogate(i)))
            {
                // left out of the sample; the reader rejects it with its line
            }
        }
        if (order.Count == 0)
            throw new DataFileException("jsonl.empty", null, anyLine
                ? "no line of the sample is a JSON object with a key; a JSON Lines file holds one {...} object per line."
                : "the file is empty (or only blank lines), so there is no key to infer a column from; declare a schema, and an empty file loads no rows.");
        return order.Select(n => new ColumnDefinition(n, stats[n].Type(), Nullable: true)).ToArray();
    }

    private sealed class KeyStats
    {
        private bool _string, _integer, _decimal, _exponent, _boolean, _nested;
        private bool _date = true, _timestamp = true, _uuid = true, _anyZone;
        private int _integerDigits, _scale;

        public void Observe(ref Utf8JsonReader json)
        {
            switch (json.TokenType)
            {
                case JsonTokenType.Null:
                    return;
                case JsonTokenType.True or JsonTokenType.False:
                    _boolean = true;
                    return;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    _nested = true;
                    json.Skip();
                    return;
                case JsonTokenType.Number:
                    var raw = System.Text.Encoding.UTF8.GetString(json.ValueSpan);
                    if (raw.Contains('e') || raw.Contains('E')) _exponent = true;
                    else if (raw.Contains('.')) Decimal(raw);
                    else if (long.TryParse(raw, out _)) { _integer = true; _integerDigits = Math.Max(_integerDigits, raw.TrimStart('-').TrimStart('0').Length); }
                    else Decimal(raw);
                    return;
                default:
                    _string = true;
                    var text = json.GetString()!;
                    _date = _date && TemporalText.TryParseDate(text, out _);
                    if (_timestamp && !TemporalText.TryParseTimestamp(text, allowZone: false, out _, out _))
                    {
                        if (TemporalText.TryParseTimestamp(text, allowZone: true, out _, out _)) _anyZone = true;
                        else _timestamp = false;
                    }
                    _uuid = _uuid && text.Length == 36 && Guid.TryParseExact(text, "D", out _);
                    return;
            }
        }

        private void Decimal(string raw)
        {
            _decimal = true;
            var body = raw.TrimStart('-');
            var point = body.IndexOf('.');
            _integerDigits = Math.Max(_integerDigits, (point < 0 ? body : body[..point]).TrimStart('0').Length);
            if (point >= 0) _scale = Math.Max(_scale, body.Length - point - 1);
        }

        public ColumnType Type()
        {
            var kinds = (_string ? 1 : 0) + (_integer || _decimal || _exponent ? 1 : 0) + (_boolean ? 1 : 0) + (_nested ? 1 : 0);
            if (kinds == 0) return ColumnType.Text;
            if (kinds > 1) return ColumnType.Text;
            if (_nested) return new ColumnType(ColumnKind.Json);
            if (_boolean) return new ColumnType(ColumnKind.Boolean);
            if (_exponent) return new ColumnType(ColumnKind.Double);
            if (_decimal)
            {
                var precision = Math.Max(18, _integerDigits + _scale);
                return precision <= WideDecimalVector.MaxPrecision ? new ColumnType(ColumnKind.Numeric, Precision: precision, Scale: _scale) : ColumnType.Text; // never a double: text keeps the digits
            }
            if (_integer) return _integerDigits <= 18 ? ColumnType.BigInt : new ColumnType(ColumnKind.Numeric, Precision: WideDecimalVector.MaxPrecision, Scale: 0);
            if (_date) return new ColumnType(ColumnKind.Date);
            if (_timestamp) return new ColumnType(_anyZone ? ColumnKind.TimestampTz : ColumnKind.Timestamp);
            return _uuid ? new ColumnType(ColumnKind.Uuid) : ColumnType.Text;
        }
    }
}
