using System.Globalization;
using System.Text;
using Sluice.Pipelines;
using Sluice.Postgres.Copy;

namespace Sluice.Formats.Csv;

/// <summary>
/// Infers a schema from the first <see cref="CsvOptions.SampleRows"/> records of a CSV file: for
/// each column the narrowest of boolean, bigint, numeric(p,s), date, timestamp, timestamptz, uuid,
/// text that every non-null sample value fits. All inferred columns are nullable.
/// </summary>
/// <remarks>
/// Decimals become numeric, never a floating type, so that inferred money stays exact; precision is
/// at least 18 so that later files with somewhat larger amounts still fit. Booleans are inferred
/// only from words (true/false, t/f, yes/no): a 0/1 column is more often a count or a code, so it
/// is inferred as bigint. smallint and integer are never inferred: a later file may not fit them.
/// Records with a problem (wrong field count, invalid bytes) are left out of the sample.
/// </remarks>
public static class CsvSchemaInference
{
    /// <summary>PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1).</summary>
    public const int MaxIdentifierBytes = 63;

    private const int MinInferredPrecision = 18;
    private const int MaxNumericPrecision = 1000;

    /// <summary>Infers the columns of the file at <paramref name="path"/>.</summary>
    /// <exception cref="CsvFileException">The header is unusable (empty, duplicate or too long names) or the file cannot be read.</exception>
    public static IReadOnlyList<ColumnDefinition> Infer(string path, CsvOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var source = CsvRecordSource.Open(path, options);
        CheckHeader(source.Header, asColumnNames: true);
        var stats = source.Header.Select(_ => new ColumnStats()).ToArray();
        var nullCheck = new FieldEncoder(new ColumnDefinition("sample", ColumnType.Text), options.NullMarkers);
        for (var sampled = 0; sampled < options.SampleRows && source.Read();)
        {
            if (source.Problem is not null)
            {
                continue;
            }

            sampled++;
            for (var i = 0; i < stats.Length; i++)
            {
                var field = source.GetField(i);
                if (!nullCheck.IsNull(field))
                {
                    stats[i].Observe(field);
                }
            }
        }

        return source.Header.Select((name, i) => new ColumnDefinition(name, stats[i].Type(), Nullable: true)).ToArray();
    }

    /// <summary>For a load without a declared schema, whose header names become the table's columns: none may be one of
    /// Sluice's own (the lineage column would be listed twice).</summary>
    internal static void CheckNotReserved(IReadOnlyList<string> header)
    {
        for (var i = 0; i < header.Count; i++)
        {
            var (name, position) = (header[i], i + 1);
            if (name.StartsWith(IdentifierRules.ReservedColumnPrefix, StringComparison.OrdinalIgnoreCase))
            {
                throw new CsvFileException("csv.header_reserved", 1,
                    $"Header column {position} is named '{name}', and names starting with {IdentifierRules.ReservedColumnPrefix} are Sluice's own " +
                    $"(the lineage column {Postgres.TableDdl.LineageColumn}); rename it in the file, or declare a schema without it (the column is then skipped).");
            }
        }
    }

    /// <summary>
    /// Rejects header names that cannot identify a column: empty or duplicate names always; when the
    /// names become column names, also names over 63 UTF-8 bytes (PostgreSQL would silently
    /// truncate them, possibly into duplicates) and names containing NUL.
    /// </summary>
    internal static void CheckHeader(IReadOnlyList<string> header, bool asColumnNames)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < header.Count; i++)
        {
            var name = header[i];
            var position = i + 1;
            if (name.Length == 0)
            {
                throw new CsvFileException("csv.header_empty", 1,
                    $"Header column {position} has no name; name every column in the header line.");
            }

            if (seen.TryGetValue(name, out var first))
            {
                throw new CsvFileException("csv.header_duplicate", 1,
                    $"Header columns {first} and {position} are both named '{name}'; column names must be unique.");
            }

            seen[name] = position;
            if (asColumnNames && Encoding.UTF8.GetByteCount(name) > MaxIdentifierBytes)
            {
                throw new CsvFileException("csv.header_too_long", 1,
                    $"Header column {position} ('{name[..Math.Min(20, name.Length)]}...') is longer than {MaxIdentifierBytes} bytes, PostgreSQL's limit for a column name; shorten it or declare a schema.");
            }

            if (asColumnNames && name.Contains('\0'))
            {
                throw new CsvFileException("csv.header_invalid", 1,
                    $"Header column {position} contains a NUL character; PostgreSQL column names cannot hold it.");
            }
        }
    }

    private sealed class ColumnStats
    {
        private bool _seen;
        private bool _boolean = true, _bigint = true, _numeric = true, _date = true, _timestamp = true, _uuid = true;
        private bool _anyZone;
        private int _integerDigits, _scale;

        public void Observe(ReadOnlySpan<char> field)
        {
            _seen = true;
            _boolean = _boolean && IsBooleanWord(field);
            // Digits with leading zeros (ZIP codes, account and product codes: 00501) are identifiers, not numbers:
            // a numeric column would drop the zeros. Such a column stays text.
            var code = HasLeadingZero(field);
            _bigint = _bigint && !code && long.TryParse(field, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
            _numeric = _numeric && !code && ObserveDecimal(field);
            _date = _date && TemporalText.TryParseDate(field, out _);
            if (_timestamp)
            {
                if (TemporalText.TryParseTimestamp(field, allowZone: false, out _, out _))
                {
                    // no zone: fits both timestamp and timestamptz
                }
                else if (TemporalText.TryParseTimestamp(field, allowZone: true, out _, out _))
                {
                    _anyZone = true;
                }
                else
                {
                    _timestamp = false;
                }
            }

            _uuid = _uuid && ((field.Length == 36 && Guid.TryParseExact(field, "D", out _)) ||
                              (field.Length == 32 && Guid.TryParseExact(field, "N", out _)));
        }

        public ColumnType Type()
        {
            if (!_seen)
            {
                return ColumnType.Text;
            }

            if (_boolean)
            {
                return new ColumnType(ColumnKind.Boolean);
            }

            if (_bigint)
            {
                return ColumnType.BigInt;
            }

            if (_numeric)
            {
                var precision = Math.Max(MinInferredPrecision, _integerDigits + _scale);
                return precision <= MaxNumericPrecision
                    ? new ColumnType(ColumnKind.Numeric, Precision: precision, Scale: _scale)
                    : new ColumnType(ColumnKind.Numeric);
            }

            if (_date)
            {
                return new ColumnType(ColumnKind.Date);
            }

            if (_timestamp)
            {
                return new ColumnType(_anyZone ? ColumnKind.TimestampTz : ColumnKind.Timestamp);
            }

            return _uuid ? new ColumnType(ColumnKind.Uuid) : ColumnType.Text;
        }

        private static bool IsBooleanWord(ReadOnlySpan<char> field) =>
            field.Equals("true", StringComparison.OrdinalIgnoreCase) || field.Equals("false", StringComparison.OrdinalIgnoreCase) ||
            field.Equals("t", StringComparison.OrdinalIgnoreCase) || field.Equals("f", StringComparison.OrdinalIgnoreCase) ||
            field.Equals("yes", StringComparison.OrdinalIgnoreCase) || field.Equals("no", StringComparison.OrdinalIgnoreCase);

        /// <summary>Whether the field's whole-number part has a zero before other digits (<c>007</c>, <c>-01.5</c>).</summary>
        private static bool HasLeadingZero(ReadOnlySpan<char> field)
        {
            var body = field is ['+' or '-', .. var rest] ? rest : field;
            return body is ['0', >= '0' and <= '9', ..];
        }

        /// <summary>Plain decimals only (<c>-12.50</c>); widens the integer digits and scale seen.</summary>
        private bool ObserveDecimal(ReadOnlySpan<char> field)
        {
            var body = field is ['+' or '-', .. var rest] ? rest : field;
            var point = body.IndexOf('.');
            var integerPart = point < 0 ? body : body[..point];
            var fraction = point < 0 ? [] : body[(point + 1)..];
            if ((integerPart.IsEmpty && fraction.IsEmpty) || integerPart.ContainsAnyExceptInRange('0', '9') ||
                fraction.ContainsAnyExceptInRange('0', '9'))
            {
                return false;
            }

            var significant = integerPart.TrimStart('0').Length;
            _integerDigits = Math.Max(_integerDigits, significant);
            _scale = Math.Max(_scale, fraction.Length);
            return true;
        }
    }
}
