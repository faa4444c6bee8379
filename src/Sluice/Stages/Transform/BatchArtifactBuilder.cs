using Sluice.Formats;
using Sluice.Formats.JsonLines;
using Sluice.Formats.Parquet;
using Sluice.Pipelines;
using Sluice.Postgres.Copy;

namespace Sluice.Stages.Transform;

/// <summary>
/// The transform of a JSON Lines or Parquet file: the format's own reader types every value (the same readers the
/// File Convertor uses, exact for decimals and timestamps) and sets aside the records that cannot become rows, with
/// their lines; each row's values are then written into the load artifact in their canonical text, through the same
/// encoders as a CSV field, so a value reaches the table exactly as a CSV load would store it.
/// </summary>
internal static class BatchArtifactBuilder
{
    private const int BatchRows = 4096;

    /// <summary>How much raw text of rejected records is held back to keep <c>rejects.csv</c> in line order.</summary>
    private const long HeldRejectChars = 4L << 20;

    public static TransformResult Build(TransformRequest request, CancellationToken ct)
    {
        var shown = request.SourceName ?? request.SourcePath;
        var reader = Open(request, shown, ct);
        try
        {
            var alsoTo = request.AlsoWriteRowsTo?.Invoke(reader.Columns, ct).GetAwaiter().GetResult();
            return Write(request, reader, shown, alsoTo, ct);
        }
        catch (DataFileException e)
        {
            throw new TransformException(e.Code, $"{shown}: {e.Message}", e);
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The file's reader, with the columns the artifact holds: declared, or inferred from a sample (JSON Lines)
    /// or the file's own (Parquet), each of them as the target takes it (<see cref="TransformRequest.AsTargetColumns"/>).</summary>
    private static IBatchReader Open(TransformRequest request, string shown, CancellationToken ct)
    {
        try
        {
            var file = request.SourcePath;
            if (request.Format == DataFormat.JsonLines)
            {
                var columns = request.Schema ?? request.AsTargetColumns(JsonLinesSchemaInference.Infer(file, request.Csv.SampleRows));
                if (request.Schema is null) CheckNames(columns, request.Format);
                return JsonLinesBatchReader.Open(file, columns, request.Csv.SampleRows, skipOtherKeys: request.Schema is not null);
            }
            var parquet = ParquetBatchReader.OpenAsync(file, request.Schema, ct, skipOtherColumns: true, regroupInto: request.OutputDirectory)
                .GetAwaiter().GetResult();
            if (request.Schema is not null) return parquet;
            try
            {
                CheckNames(parquet.Columns, request.Format);
            }
            catch
            {
                parquet.DisposeAsync().AsTask().GetAwaiter().GetResult();
                throw;
            }
            var typed = request.AsTargetColumns(parquet.Columns);
            return typed.SequenceEqual(parquet.Columns) ? parquet : parquet.As(typed);
        }
        catch (DataFileException e)
        {
            // Named once: some messages start with their line (or row) already.
            var where = e.Line is { } line && !e.Message.StartsWith("line ", StringComparison.Ordinal) && !e.Message.StartsWith("row ", StringComparison.Ordinal)
                ? $"{shown}, line {line}"
                : shown;
            throw new TransformException(e.Code, $"{where}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Without a declared schema the file's own names become the table's columns: one PostgreSQL cannot take (empty, with
    /// NUL) or would truncate (over 63 bytes, the table then created with a column the load cannot find), or one of
    /// Sluice's own, fails the file here, before the table is created.
    /// </summary>
    private static void CheckNames(IReadOnlyList<ColumnDefinition> columns, DataFormat format)
    {
        foreach (var column in columns)
        {
            if (IdentifierRules.CheckColumnName(column.Name) is not { } reason) continue;
            throw format == DataFormat.JsonLines
                ? new DataFileException("jsonl.key_name", null,
                    $"a key of the file cannot name a column: {reason}. Without a schema every key becomes a column; declare a " +
                    "schema of the columns to load (keys outside it are skipped), or rename the key in the file.")
                : new DataFileException("parquet.column_name", null,
                    $"a column of the file cannot name a table column: {reason}. Rename it where the file is written, or declare " +
                    "a schema of the columns to load (the file's others are skipped).");
        }
    }

    private static TransformResult Write(TransformRequest request, IBatchReader reader, string shown, Stream? alsoTo, CancellationToken ct)
    {
        var columns = reader.Columns;
        if (columns.Count is 0 or > short.MaxValue - 1)
            throw new TransformException("schema.invalid", $"{shown}: the schema has {columns.Count} columns; a table needs 1 to 1600.");
        // Values come typed, never as null markers: only a null is null; and as canonical text, whatever format the file's was in.
        var encoders = columns.Select(c => new FieldEncoder(c with { Format = null }, [])).ToArray();
        var fieldCount = (short)(columns.Count + (request.IncludeLineageColumn ? 1 : 0));
        var jobId = new byte[16];
        request.JobId.TryWriteBytes(jobId, bigEndian: true, out _);

        long read = 0, written = 0, rejected = 0;
        using var artifact = new LoadArtifactWriter(request.OutputDirectory, alsoTo);
        var (writer, rejects) = (artifact.Rows, artifact.Rejects);
        // The reader sets aside the records it cannot read as it fills a batch, before the batch's rows are written, and
        // a row can still be refused as it is written: the reader's are held back until the rows before them are through,
        // so rejects.csv is in line order, as a CSV load's is (up to a few MiB of them; past that they go at once).
        var held = new Queue<RejectedRow>();
        long heldChars = 0;
        void Reject(RejectedRow row)
        {
            rejected++;
            read++;
            held.Enqueue(row);
            heldChars += row.Raw.Length;
            if (heldChars > HeldRejectChars) WriteHeld(long.MaxValue);
        }
        void WriteHeld(long before)
        {
            while (held.TryPeek(out var next) && next.Line < before)
            {
                held.Dequeue();
                heldChars -= next.Raw.Length;
                rejects.Write(next.Line, next.Column ?? "", next.Reason, next.Raw);
            }
        }
        var batch = new ColumnBatch(columns, BatchRows);
        while (reader.ReadAsync(batch, Reject, ct).AsTask().GetAwaiter().GetResult())
        {
            for (var row = 0; row < batch.Count; row++)
            {
                read++;
                writer.BeginRow(fieldCount);
                var (column, reason) = WriteRow(batch, row, encoders, writer);
                if (reason is not null)
                {
                    writer.CancelRow();
                    WriteHeld(batch.Lines[row]);
                    rejects.Write(batch.Lines[row], column!, reason, RowText(batch, row));
                    rejected++;
                    continue;
                }
                if (request.IncludeLineageColumn) writer.WriteBytes(jobId);
                writer.EndRow();
                written++;
            }
            WriteHeld(long.MaxValue);
            ct.ThrowIfCancellationRequested();
            request.RowsProgress?.Report(read);
        }
        WriteHeld(long.MaxValue);
        var dataSha256 = artifact.Complete();
        request.RowsProgress?.Report(read);
        var warnings = reader switch
        {
            JsonLinesBatchReader { SkippedKeys: { Count: > 0 } skipped } =>
                new[] { $"Keys outside the schema were skipped: {string.Join(", ", skipped)}" +
                        (skipped.Count == JsonLinesBatchReader.SkippedKeysNamed ? " (and maybe more)." : ".") },
            ParquetBatchReader parquet => parquet.Warnings,
            _ => [],
        };
        return new TransformResult(columns, read, written, rejected, 0, artifact.DataPath, artifact.RejectsPath, warnings, dataSha256)
        {
            Notes = reader is ParquetBatchReader { Regrouped: { Groups: > 0 } recut }
                ? [$"{recut.Groups:N0} row group(s) of up to {recut.MaxRows:N0} rows, too large to decode whole, were re-cut through DuckDB: " +
                   $"read as {recut.Into:N0} row groups"]
                : [],
        };
    }

    /// <summary>Writes one row's values; the column and reason when one cannot be stored (a row the reader took, so
    /// rare: a null in a not-null column of a Parquet file, a value past a column's length).</summary>
    private static (string? Column, string? Reason) WriteRow(ColumnBatch batch, int row, FieldEncoder[] encoders, PgCopyWriter writer)
    {
        for (var c = 0; c < encoders.Length; c++)
        {
            var vector = batch.Vectors[c];
            if (vector.IsNull(row))
            {
                if (!vector.Column.Nullable) return (vector.Column.Name, $"null in not-null column '{vector.Column.Name}'");
                writer.WriteNull();
                continue;
            }
            if (encoders[c].WriteValue(vector.Text(row), writer) is { } reason) return (vector.Column.Name, reason);
        }
        return (null, null);
    }

    /// <summary>A rejected row as its values (the reader keeps no raw text of a row it took): name=value, comma-separated.</summary>
    private static string RowText(ColumnBatch batch, int row) =>
        string.Join(", ", batch.Vectors.Select(v => $"{v.Column.Name}={v.Show(row)}"));
}
