namespace Sluice.Formats.Parquet;

/// <summary>Row groups too large to decode whole: re-cut, or refused (see <see cref="ParquetRegrouping"/>).</summary>
public sealed partial class ParquetBatchReader
{
    /// <summary>Why a file with row groups too large to decode whole is read as it is (it could not be re-cut), for the
    /// job's log; null otherwise.</summary>
    public string? RegroupFailure { get; private set; }

    /// <summary>Why the re-cut could not be made (the end of <see cref="RegroupFailure"/>).</summary>
    private string? _regroupReason;

    /// <summary>The limit a row group read as written must fit, read once per reader.</summary>
    private readonly long _maxGroupBytes = ParquetRegrouping.MaxGroupBytes;

    /// <summary>The columns read, by their path in the schema, for the estimates of their row groups.</summary>
    private HashSet<string> FieldPaths => _fieldPaths ??= ParquetRegrouping.PathsOf(_fields);

    private HashSet<string>? _fieldPaths;

    /// <summary>What a user should know about how the file was read: the file's columns a declared schema left out, and
    /// row groups decoded whole because they could not be re-cut.</summary>
    public IReadOnlyList<string> Warnings =>
    [
        .. SkippedColumns.Count > 0 ? [$"Columns of the file outside the schema were skipped: {string.Join(", ", SkippedColumns.Select(c => $"'{c}'"))}."] : Array.Empty<string>(),
        .. RegroupFailure is { } failure ? [$"The file was read with its own row groups: {failure}."] : Array.Empty<string>(),
    ];

    /// <summary>How many row groups were re-cut (0 when the file is read as it is), the most rows one of them held, and
    /// into how many row groups the copy cut them.</summary>
    public (int Groups, long MaxRows, int Into) Regrouped { get; private init; }

    /// <summary>This reader, or one over a re-cut copy of the file in <paramref name="folder"/> when some of its row
    /// groups are too large to decode whole (this one is then disposed).</summary>
    private async Task<ParquetBatchReader> RegroupedAsync(string path, string? folder, long? sampleRows, CancellationToken ct)
    {
        var large = ParquetRegrouping.GroupsAbove(_reader, FieldPaths, ParquetRegrouping.RegroupAboveBytes).ToList();
        if (large.Count == 0 || folder is null) return this;
        var bytesPerRow = large.Max(g => g.Bytes / Math.Max(1, g.Rows));
        var (reader, fields, failure) = await ParquetRegrouping.CopyAsync(path, _fields, _reader.Schema.Fields.Select(f => f.Name).ToList(),
            RowsPerGroup(_fields.Length, bytesPerRow, _maxGroupBytes), folder, sampleRows, ct);
        if (reader is null)
        {
            _regroupReason = failure;
            RegroupFailure = $"{large.Count} of its {_reader.RowGroupCount} row groups hold up to {large.Max(g => g.Rows):N0} rows, which are decoded " +
                             $"whole (about {MiB(large.Max(g => g.Bytes)):N0} MiB of memory), because they could not be re-cut into smaller ones: {failure}";
            return this;
        }
        var regrouped = new ParquetBatchReader(reader, fields!, Columns)
        {
            SkippedColumns = SkippedColumns,
            Regrouped = (large.Count, large.Max(g => g.Rows), reader.RowGroupCount),
            RowCount = RowCount,
            RowGroupCount = RowGroupCount,
            SourceGroupRows = _reader.RowGroups.Select(g => g.RowCount).ToArray(),
        };
        await _reader.DisposeAsync();
        return regrouped;
    }

    /// <summary>This reader with its columns read as <paramref name="columns"/> (the same names in the same order, of the
    /// types a target takes): the open file passes to the new reader, this one must not be used or disposed.</summary>
    internal ParquetBatchReader As(IReadOnlyList<Pipelines.ColumnDefinition> columns) =>
        new(_reader, _fields, columns)
        {
            SkippedColumns = SkippedColumns,
            Regrouped = Regrouped,
            RegroupFailure = RegroupFailure,
            _regroupReason = _regroupReason,
            RowCount = RowCount,
            RowGroupCount = RowGroupCount,
            SourceGroupRows = SourceGroupRows,
        };

    /// <summary>The rows of each row group of the file as written, when this reader reads a re-cut copy: messages name
    /// the user's row groups, not the copy's.</summary>
    private long[]? SourceGroupRows { get; init; }

    /// <summary>How messages name row group <paramref name="index"/> of the file being read: its number and count in the
    /// file as written, and the row it starts at (for a re-cut copy, the file's group that holds the copy's).</summary>
    private (int Number, int Count, long FirstRow) SourceGroup(int index)
    {
        if (SourceGroupRows is not { } rows) return (index + 1, _reader.RowGroupCount, _rowNumber + 1);
        long first = 1;
        for (var g = 0; g < rows.Length; g++)
        {
            if (_rowNumber < first - 1 + rows[g] || g == rows.Length - 1) return (g + 1, rows.Length, first);
            first += rows[g];
        }
        return (index + 1, _reader.RowGroupCount, _rowNumber + 1);
    }

    /// <summary>Rows per re-cut group: about a million values, in whole DuckDB vectors of 2,048 rows, at most 32,768 rows.
    /// Measured with `sluice run` on 1,000,000 payments rows (8 columns) in one row group: re-cut into groups of 131,072
    /// rows, 10.9 s and 294 MB; of 32,768, 7.6 s and 209 MB; of 8,192, 10.8 s and 207 MB.
    /// The copy's groups must also be read under <see cref="ParquetRegrouping.MaxGroupBytes"/>: under a low limit they
    /// hold fewer rows, estimated to take half of it (the copy's own encoding may estimate a little larger).</summary>
    private static int RowsPerGroup(int columns, long bytesPerRow, long limit)
    {
        var rows = Math.Min((1L << 20) / Math.Max(1, columns), limit / 2 / Math.Max(1, bytesPerRow));
        return (int)Math.Clamp(rows / 2048 * 2048, 2048, 32768);
    }

    /// <summary>A row group read as it is must fit <see cref="ParquetRegrouping.MaxGroupBytes"/> once decoded.</summary>
    private void RefuseIfTooLarge(int index)
    {
        var limit = _maxGroupBytes;
        if (_reader.Metadata?.RowGroups is not { } groups || index >= groups.Count) return;
        var estimate = ParquetRegrouping.EstimateDecodedBytes(groups[index], FieldPaths);
        if (estimate <= limit) return;
        if (SourceGroupRows is not null)
        {
            // The copy's groups are Sluice's own: writing the file with smaller ones would not help.
            var (number, count, first) = SourceGroup(index);
            throw new DataFileException("parquet.row_group_too_large", first,
                $"row group {number} of {count}, even re-cut into groups of {groups[index].NumRows:N0} rows, takes about {MiB(estimate):N0} MiB " +
                $"a group once decoded, more than SLUICE_PARQUET_MAX_GROUP_MIB allows ({limit >> 20:N0} MiB); raise SLUICE_PARQUET_MAX_GROUP_MIB " +
                "where the machine has the memory.");
        }
        throw new DataFileException("parquet.row_group_too_large", _rowNumber + 1,
            $"row group {index + 1} of {groups.Count} holds {groups[index].NumRows:N0} rows, about {MiB(estimate):N0} MiB once decoded, more than " +
            $"SLUICE_PARQUET_MAX_GROUP_MIB allows ({limit >> 20:N0} MiB)" +
            (_regroupReason is null ? "" : $", and it could not be re-cut into smaller groups ({_regroupReason})") +
            "; write the file with smaller row groups (pyarrow: row_group_size, DuckDB: ROW_GROUP_SIZE, Spark: parquet.block.size), " +
            "or raise SLUICE_PARQUET_MAX_GROUP_MIB where the machine has the memory.");
    }

    /// <summary>An estimate in MiB, rounded up: past a limit of 1 MiB is never "about 1 MiB".</summary>
    private static long MiB(long bytes) => bytes >= long.MaxValue - ((1L << 20) - 1) ? long.MaxValue >> 20 : (bytes + (1L << 20) - 1) >> 20;
}
