using Sluice.Formats.Vectors;
using Sluice.Pipelines;

namespace Sluice.Formats.Csv;

/// <summary>
/// Reads a CSV file into typed <see cref="ColumnBatch"/>es with <see cref="CsvRecordSource"/>. Columns are matched to
/// the header by name (without a header, by position); header columns outside the schema are skipped with a warning.
/// </summary>
/// <remarks>
/// Null follows PostgreSQL's CSV rule: a field is null only when it equals a null marker and was not quoted, so an
/// empty string is written <c>""</c> and an absent value as nothing, and both survive a round trip. Sylvan hands out
/// unescaped fields only, so whether a field was quoted is read from the record's raw text — only for fields that
/// equal a null marker, which keeps the common path free of the scan.
/// </remarks>
public sealed class CsvBatchReader : IBatchReader
{
    private readonly CsvRecordSource _source;
    private readonly CsvOptions _options;
    private readonly int[] _map;
    private readonly string[] _nullMarkers;

    private CsvBatchReader(CsvRecordSource source, CsvOptions options, IReadOnlyList<ColumnDefinition> columns, int[] map, List<string> warnings)
    {
        _source = source;
        _options = options;
        _map = map;
        _nullMarkers = [.. options.NullMarkers];
        Columns = columns;
        Warnings = warnings;
    }

    /// <inheritdoc />
    public IReadOnlyList<ColumnDefinition> Columns { get; }

    /// <summary>What was noticed but not refused (header columns outside the schema).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Opens a file; without <paramref name="schema"/> the columns are inferred from a sample.</summary>
    /// <exception cref="CsvFileException">The file is empty, undecodable, its header unusable, or a schema column is missing from it.</exception>
    public static CsvBatchReader Open(string path, CsvOptions options, IReadOnlyList<ColumnDefinition>? schema)
    {
        ArgumentNullException.ThrowIfNull(options);
        var columns = schema ?? CsvSchemaInference.Infer(path, options);
        var source = CsvRecordSource.Open(path, options);
        try
        {
            var warnings = new List<string>();
            return new CsvBatchReader(source, options, columns, Map(source, columns, schema is not null, warnings), warnings);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    private static int[] Map(CsvRecordSource source, IReadOnlyList<ColumnDefinition> columns, bool declared, List<string> warnings)
    {
        CsvSchemaInference.CheckHeader(source.Header, asColumnNames: !declared);
        if (!source.HasHeader)
        {
            if (source.ExpectedFieldCount != 0 && source.ExpectedFieldCount < columns.Count)
                throw new CsvFileException("csv.missing_column", 1,
                    $"the file has {source.ExpectedFieldCount} fields per record but the schema has {columns.Count} columns; without a header, columns are matched by position.");
            if (source.ExpectedFieldCount > columns.Count)
                warnings.Add($"the file has {source.ExpectedFieldCount} fields per record; fields after the first {columns.Count} are not in the schema and were skipped.");
            return Enumerable.Range(0, columns.Count).ToArray();
        }

        var ordinals = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < source.Header.Count; i++) ordinals[source.Header[i]] = i;
        var map = new int[columns.Count];
        for (var c = 0; c < columns.Count; c++)
        {
            if (!ordinals.Remove(columns[c].Name, out map[c]))
                throw new CsvFileException("csv.missing_column", 1,
                    $"schema column '{columns[c].Name}' is not in the header; add it to the file or remove it from the schema (names match exactly, case included).");
        }
        foreach (var (name, ordinal) in ordinals.OrderBy(p => p.Value))
            warnings.Add($"header column '{name}' (position {ordinal + 1}) is not in the schema and was skipped.");
        return map;
    }

    /// <inheritdoc />
    public ValueTask<bool> ReadAsync(ColumnBatch batch, Action<RejectedRow> rejected, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(rejected);
        batch.Count = 0;
        var vectors = batch.Vectors;
        while (!batch.IsFull && _source.Read())
        {
            if (_source.Problem is { } problem)
            {
                rejected(new RejectedRow(_source.Line, null, problem, _source.RawRecord.ToString()));
                continue;
            }

            var row = batch.Count;
            string? reason = null;
            var c = 0;
            for (; c < vectors.Length; c++)
            {
                var field = _source.GetField(_map[c]);
                if (IsNullMarker(field) && !_source.IsQuoted(_map[c]))
                {
                    if (!vectors[c].Column.Nullable)
                    {
                        reason = $"null in not-null column '{vectors[c].Column.Name}'";
                        break;
                    }
                    vectors[c].SetNull(row);
                    continue;
                }
                reason = vectors[c].ParseField(field, row);
                if (reason is not null) break;
            }

            if (reason is not null)
            {
                rejected(new RejectedRow(_source.Line, vectors[c].Column.Name, reason, _source.RawRecord.ToString()));
                continue;
            }

            batch.Lines[row] = _source.Line;
            batch.Count++;
            if ((batch.Count & 0x3FFF) == 0) ct.ThrowIfCancellationRequested();
        }
        return ValueTask.FromResult(batch.Count > 0);
    }

    private bool IsNullMarker(ReadOnlySpan<char> field)
    {
        foreach (var marker in _nullMarkers)
            if (field.SequenceEqual(marker)) return true;
        return false;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _source.Dispose();
        return ValueTask.CompletedTask;
    }
}
