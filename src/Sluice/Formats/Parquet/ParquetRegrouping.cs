using System.Globalization;
using DuckDB.NET.Data;
using Parquet;
using Parquet.Meta;
using Parquet.Schema;

namespace Sluice.Formats.Parquet;

/// <summary>
/// Parquet.Net decodes a whole row group at once, and a row group is as large as its writer made it: pyarrow writes a
/// million rows per group by default, Spark 128 MB of compressed data, some tools the whole file in one. Decoded into
/// .NET arrays and strings, 1,000,000 payments rows in one group took 700 MB at peak (`sluice run`), 4,000,000 would
/// have taken several GB.
/// Such a file is re-cut first: DuckDB, which decodes a page at a time, copies the columns Sluice reads into a scratch
/// file of small row groups, in the same order and with the same values, and that file is read instead. The re-cut is
/// used only when every column maps to the same Sluice type in both files (a value type DuckDB changes on the way, such
/// as a DECIMAL wider than 38 digits read as DOUBLE, leaves the file to be read as it is), and never for INT96
/// timestamps, whose nanoseconds DuckDB drops. A row group that still cannot be decoded within
/// <see cref="MaxGroupBytes"/> is refused (<c>parquet.row_group_too_large</c>): a footer claiming billions of rows must
/// not take the worker's memory.
/// </summary>
internal static class ParquetRegrouping
{
    /// <summary>A row group estimated to take more than this once decoded is re-cut before it is read: the groups of
    /// 122,880 rows DuckDB writes are, for the payments columns (8 columns, estimated 37 MB). Measured with `sluice run`
    /// on 1,000,000 such rows: read as written, 9.9 s and 253 MB at peak; re-cut, 7.3 s and 187 MB (smaller groups
    /// decode into arrays that stay out of the large-object heap).</summary>
    public const long RegroupAboveBytes = 16L << 20;

    /// <summary>The most one row group may take once decoded (estimated) when it is read as it is:
    /// <c>SLUICE_PARQUET_MAX_GROUP_MIB</c>, default 1024; 0 turns the limit off.</summary>
    public static long MaxGroupBytes
    {
        get
        {
            var text = Environment.GetEnvironmentVariable("SLUICE_PARQUET_MAX_GROUP_MIB");
            if (string.IsNullOrWhiteSpace(text)) return DefaultMaxGroupMiB << 20;
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var mib) || mib > long.MaxValue >> 20)
                throw new Errors.SluiceException("config.invalid",
                    $"SLUICE_PARQUET_MAX_GROUP_MIB={text} is not a whole number of MiB; set it to 0 (no limit) or a size such as {DefaultMaxGroupMiB}.");
            return mib == 0 ? long.MaxValue : mib << 20;
        }
    }

    public const long DefaultMaxGroupMiB = 1024;

    /// <summary>
    /// What decoding a row group into .NET arrays takes, roughly: 16 bytes a value for a nullable number, date or
    /// reference, and for text the strings themselves (an object header, and two bytes a character, estimated from the
    /// column's uncompressed size). The footer's own figures: a file that lies about them fails to decode instead.
    /// </summary>
    public static long EstimateDecodedBytes(RowGroup group, IReadOnlyCollection<string> columnPaths)
    {
        var rows = Math.Max(0, group.NumRows);
        long bytes = 0;
        foreach (var chunk in group.Columns)
        {
            if (chunk.MetaData is not { } meta || !columnPaths.Contains(string.Join('.', meta.PathInSchema))) continue;
            bytes = Add(bytes, Times(rows, 16));
            if (meta.Type is global::Parquet.Meta.Type.BYTE_ARRAY or global::Parquet.Meta.Type.FIXED_LEN_BYTE_ARRAY)
                bytes = Add(bytes, Add(Times(rows, 32), Times(Math.Max(0, meta.TotalUncompressedSize), 2)));
        }
        return bytes;
    }

    // A footer's figures are untrusted: they saturate instead of overflowing into a small estimate.
    private static long Times(long a, long b) => a > long.MaxValue / b ? long.MaxValue : a * b;

    private static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    /// <summary>The paths in the schema of the columns read, as a row group's column chunks name them.</summary>
    public static HashSet<string> PathsOf(IEnumerable<DataField> fields) =>
        fields.Select(f => string.Join('.', f.Path.ToList())).ToHashSet(StringComparer.Ordinal);

    /// <summary>The row groups of <paramref name="reader"/> estimated to take more than <paramref name="bytes"/>.</summary>
    /// <param name="paths">The columns read, by their path in the schema (<see cref="PathsOf"/>).</param>
    public static IEnumerable<(int Index, long Rows, long Bytes)> GroupsAbove(ParquetReader reader, IReadOnlyCollection<string> paths, long bytes)
    {
        var groups = reader.Metadata?.RowGroups ?? [];
        for (var g = 0; g < groups.Count; g++)
        {
            var estimate = EstimateDecodedBytes(groups[g], paths);
            if (estimate > bytes) yield return (g, groups[g].NumRows, estimate);
        }
    }

    /// <summary>
    /// Copies <paramref name="fields"/> of the Parquet file at <paramref name="source"/> into a new file in
    /// <paramref name="folder"/>, in row groups of <paramref name="rowsPerGroup"/> rows, and opens it; the file is
    /// removed from the folder at once (its reader holds it until disposed). Null, with the reason, when DuckDB cannot
    /// copy it or the copy would not read as the same columns.
    /// </summary>
    /// <param name="fileColumns">The names of all the file's columns, read or not.</param>
    /// <param name="limitRows">Copy only this many first rows (a sample), or all of them.</param>
    public static async Task<(ParquetReader? Reader, DataField[]? Fields, string? Failure)> CopyAsync(string source, IReadOnlyList<DataField> fields,
        IReadOnlyList<string> fileColumns, int rowsPerGroup, string folder, long? limitRows, CancellationToken ct)
    {
        if (fields.FirstOrDefault(f => f is DateTimeDataField { DateTimeFormat: DateTimeFormat.Impala }) is { } int96)
            return (null, null, $"column '{int96.Name}' holds INT96 timestamps, which the re-cut would round to microseconds");
        // DuckDB matches column names without regard to case: of two such names, both would select the same column.
        if (fileColumns.Distinct(StringComparer.OrdinalIgnoreCase).Count() != fileColumns.Count)
            return (null, null, "two of its column names differ only in case, which DuckDB would read as one column");
        Directory.CreateDirectory(folder);
        RemoveAbandonedCopies(folder);
        var scratch = Path.Combine(folder, $".regrouped-{Guid.NewGuid():N}.parquet");
        // DuckDB reads a path as a glob pattern: the file is read through a link of Sluice's own naming, so a file
        // name with * ? [ { in it can neither match other files nor fail to match itself. The link goes beside the
        // copy, or, when the folder's own path has such a character, into the temporary folder.
        var linkFolder = HasWildcard(folder) ? Path.GetTempPath() : folder;
        if (HasWildcard(linkFolder))
            return (null, null, $"the folders {folder} and {Path.GetTempPath()} have a character DuckDB reads as a wildcard in their paths");
        var link = Path.Combine(linkFolder, $".regrouping-{Guid.NewGuid():N}.parquet");
        try
        {
            // Held (a shared lock) until the copy is opened and unlinked: another re-cut into the folder leaves it be.
            await using var claim = new FileStream(scratch, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            File.CreateSymbolicLink(link, Path.GetFullPath(source));
            await using (var duck = new DuckDBConnection("Data Source=:memory:"))
            {
                await duck.OpenAsync(ct);
                await using var copy = duck.CreateCommand();
                // One thread keeps the rows in file order and DuckDB's memory to one row group's compressed pages.
                copy.CommandText =
                    "SET threads = 1; SET preserve_insertion_order = true; " +
                    $"COPY (SELECT {string.Join(", ", fields.Select(f => Identifier(f.Name)))} FROM read_parquet({Literal(link)}){(limitRows is { } n ? $" LIMIT {n.ToString(CultureInfo.InvariantCulture)}" : "")}) " +
                    $"TO {Literal(scratch)} (FORMAT parquet, ROW_GROUP_SIZE {rowsPerGroup.ToString(CultureInfo.InvariantCulture)}, COMPRESSION snappy, USE_TMP_FILE false)";
                await using var registration = ct.Register(copy.Cancel);
                await copy.ExecuteNonQueryAsync(ct);
            }
            TryDelete(link);
            var stream = new FileStream(scratch, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16,
                FileOptions.Asynchronous | FileOptions.DeleteOnClose);
            if (!OperatingSystem.IsWindows()) File.Delete(scratch);
            ParquetReader reader;
            try
            {
                reader = await ParquetReader.CreateAsync(stream, new ParquetOptions { UseDateOnlyTypeForDates = true }, leaveStreamOpen: false, ct);
            }
            catch
            {
                await stream.DisposeAsync();
                throw;
            }
            var copied = reader.Schema.GetDataFields();
            var mismatch = fields.Select((f, i) => (Field: f, Copied: i < copied.Length ? copied[i] : null))
                .FirstOrDefault(p => p.Copied is null || p.Copied.Name != p.Field.Name
                                     || ParquetSchemaMapping.FromParquet(p.Copied).Type != ParquetSchemaMapping.FromParquet(p.Field).Type);
            if (copied.Length != fields.Count || mismatch.Field is not null)
            {
                await reader.DisposeAsync();
                return (null, null, mismatch.Field is { } f
                    ? $"column '{f.Name}' would change type on the way ({ParquetSchemaMapping.FromParquet(f).Type.ToSql()} → " +
                      $"{(mismatch.Copied is { } c ? ParquetSchemaMapping.FromParquet(c).Type.ToSql() : "missing")})"
                    : "the copy does not hold the same columns");
            }
            return (reader, copied, null);
        }
        // A cancelled copy ends in DuckDB's own interruption error: it is the cancellation, not a reason to read the file as written.
        catch (Exception e) when (e is not OperationCanceledException && !ct.IsCancellationRequested)
        {
            TryDelete(link);
            TryDelete(scratch);
            return (null, null, e is DuckDBException d ? FirstLine(d.Message) : e.Message);
        }
        catch
        {
            TryDelete(link);
            TryDelete(scratch);
            ct.ThrowIfCancellationRequested();
            throw;
        }
    }

    private static bool HasWildcard(string path) => path.IndexOfAny(['*', '?', '[', '{']) >= 0;

    /// <summary>
    /// Removes the copies in <paramref name="folder"/> no re-cut holds: a copy is unlinked once its reader opens it,
    /// but one left by a process that was killed (as a worker running out of memory is) would stay in the job's
    /// workspace, as large as the file, through every retry. A copy being written is held with a shared lock (its
    /// claim; DuckDB writes into that same file, never a replacement), so the exclusive lock taken here fails on it.
    /// </summary>
    private static void RemoveAbandonedCopies(string folder)
    {
        foreach (var copy in Directory.EnumerateFiles(folder, ".regrouped-*.parquet"))
        {
            try
            {
                using (new FileStream(copy, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) { }
                File.Delete(copy);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A DuckDB string literal (paths of Sluice's own naming in the scratch folder).</summary>
    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A DuckDB identifier for a column name read from the file's footer (untrusted).</summary>
    private static string Identifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
