using Sluice.Formats.Csv;
using Sluice.Pipelines;
using Sluice.Postgres.Copy;

namespace Sluice.Stages.Transform;

/// <summary>
/// The transform stage's engine: streams a CSV file once (JSON Lines and Parquet: <see cref="BatchArtifactBuilder"/>), types and validates every field, and
/// writes the load artifact <c>data.pgcopy</c> (PostgreSQL binary COPY, columns in schema order,
/// optionally the job id last) and <c>rejects.csv</c> (every record that could not become a row,
/// with its physical line and the reason).
/// </summary>
public static class LoadArtifactBuilder
{
    /// <summary>The load artifact's file name in the output directory.</summary>
    public const string DataFileName = "data.pgcopy";

    /// <summary>The rejects file's name in the output directory.</summary>
    public const string RejectsFileName = "rejects.csv";

    private const int ProgressEvery = 1 << 16;

    /// <summary>Builds the artifact. Work runs on the thread pool; memory stays flat whatever the file size.</summary>
    /// <exception cref="TransformException">The file is missing or unreadable, its header is unusable, or a schema column is missing from it.</exception>
    public static async Task<TransformResult> BuildAsync(TransformRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var file = request.SourcePath;
        if (!File.Exists(file))
        {
            throw new TransformException("source.missing", $"Source file '{file}' does not exist; the download stage must run (or be replayed) first.");
        }

        TransformResult Build()
        {
            if (request.Format != Formats.DataFormat.Csv) return BatchArtifactBuilder.Build(request, ct);
            var shown = request.SourceName ?? file;
            var (columns, source, map, warnings) = Guarded(shown, () => Open(request));
            using (source)
            {
                // A streamed load starts once the columns are known (on this thread of its own, waiting is cheap).
                var alsoTo = request.AlsoWriteRowsTo?.Invoke(columns, ct).GetAwaiter().GetResult();
                return Guarded(shown, () => Write(request, source, columns, map, warnings, alsoTo, ct));
            }
        }
        // Streamed, a thread of its own: writing to the load waits whenever the server is behind, and a pool thread
        // held waiting would slow the very continuations that feed the server. Otherwise one hop to the pool.
        return request.AlsoWriteRowsTo is null
            ? await Task.Run(Build, ct)
            : await Task.Factory.StartNew(Build, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private static (IReadOnlyList<ColumnDefinition> Columns, CsvRecordSource Source, int[] Map, List<string> Warnings) Open(TransformRequest request)
    {
        var file = request.SourcePath;
        var columns = request.Schema ?? request.AsTargetColumns(CsvSchemaInference.Infer(file, request.Csv));
        var source = CsvRecordSource.Open(file, request.Csv, request.Chunk);
        try
        {
            var warnings = new List<string>();
            var map = MapColumns(request.SourceName ?? file, source, columns, request.Schema is not null, warnings);
            return (columns, source, map, warnings);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>Reports a malformed file as the transform's error, with the file and line.</summary>
    private static T Guarded<T>(string file, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (CsvFileException e)
        {
            var where = e.Line is { } line ? $"{file}, line {line}" : file;
            throw new TransformException(e.Code, $"{where}: {e.Message}", e);
        }
    }

    /// <summary>For each schema column, the CSV field ordinal it is read from.</summary>
    private static int[] MapColumns(string file, CsvRecordSource source, IReadOnlyList<ColumnDefinition> columns, bool declared, List<string> warnings)
    {
        CsvSchemaInference.CheckHeader(source.Header, asColumnNames: !declared);
        if (!declared) CsvSchemaInference.CheckNotReserved(source.Header);
        if (columns.Count is 0 or > short.MaxValue - 1)
        {
            throw new TransformException("schema.invalid", $"{file}: the schema has {columns.Count} columns; a table needs 1 to 1600.");
        }

        if (!source.HasHeader)
        {
            if (source.ExpectedFieldCount != 0 && source.ExpectedFieldCount < columns.Count)
            {
                throw new TransformException("csv.missing_column",
                    $"{file}, line 1: the file has {source.ExpectedFieldCount} fields per record but the schema has {columns.Count} columns; without a header, columns are matched by position.");
            }

            if (source.ExpectedFieldCount > columns.Count)
            {
                warnings.Add($"The file has {source.ExpectedFieldCount} fields per record; fields after the first {columns.Count} are not in the schema and were skipped.");
            }

            return Enumerable.Range(0, columns.Count).ToArray();
        }

        var ordinals = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < source.Header.Count; i++)
        {
            ordinals[source.Header[i]] = i;
        }

        var map = new int[columns.Count];
        for (var c = 0; c < columns.Count; c++)
        {
            if (!ordinals.Remove(columns[c].Name, out map[c]))
            {
                // None of them there: the header was most likely not read as written.
                var hint = columns.All(col => !source.Header.Contains(col.Name))
                    ? $" None of the schema's columns is in the header, which reads {string.Join(", ", source.Header.Take(5).Select(h => FieldEncoder.Show(Storage.ObjectKey.Printable(h))))}" +
                      $"{(source.Header.Count > 5 ? ", …" : "")}: the file may use another delimiter (source.delimiter) or encoding (source.encoding), or have no header (source.header: false)."
                    : "";
                throw new TransformException("csv.missing_column",
                    $"{file}, line 1: schema column '{columns[c].Name}' is not in the header; add it to the file or remove it from the pipeline's schema (names match exactly, case included).{hint}");
            }
        }

        foreach (var (name, ordinal) in ordinals.OrderBy(p => p.Value))
        {
            warnings.Add($"Header column '{name}' (position {ordinal + 1}) is not in the schema and was skipped.");
        }

        return map;
    }

    private static TransformResult Write(TransformRequest request, CsvRecordSource source, IReadOnlyList<ColumnDefinition> columns, int[] map,
        List<string> warnings, Stream? alsoTo, CancellationToken ct)
    {
        var encoders = columns.Select(c => new FieldEncoder(c, request.Csv.NullMarkers)).ToArray();
        // In a text column a quoted value is never NULL ("" is the empty string, as in PostgreSQL's CSV). In any other
        // column a quoted null marker is NULL, as COPY's FORCE_NULL reads it: exports that quote every field write a
        // missing number as "", and the empty string is no number anyway.
        var quotedIsText = columns.Select(c => c.Type.Kind is ColumnKind.Text or ColumnKind.Varchar or ColumnKind.Char).ToArray();
        var fieldCount = (short)(columns.Count + (request.IncludeLineageColumn ? 1 : 0));
        Span<byte> jobId = stackalloc byte[16];
        request.JobId.TryWriteBytes(jobId, bigEndian: true, out _);

        long read = 0, written = 0, rejected = 0;
        using var artifact = new LoadArtifactWriter(request.OutputDirectory, alsoTo);
        var (writer, rejects) = (artifact.Rows, artifact.Rejects);
        while (source.Read())
        {
            read++;
            if ((read & (ProgressEvery - 1)) == 0)
            {
                ct.ThrowIfCancellationRequested();
                request.RowsProgress?.Report(read);
            }

            if (source.Problem is { } problem)
            {
                rejects.Write(source.Line, "", problem, source.RawRecord);
                rejected++;
                continue;
            }

            writer.BeginRow(fieldCount);
            string? reason = null;
            var c = 0;
            for (; c < encoders.Length; c++)
            {
                var field = source.GetField(map[c]);
                reason = quotedIsText[c] && encoders[c].IsNull(field) && source.IsQuoted(map[c])
                    ? encoders[c].WriteValue(field, writer)
                    : encoders[c].Write(field, writer);
                if (reason is not null)
                {
                    break;
                }
            }

            if (reason is not null)
            {
                writer.CancelRow();
                rejects.Write(source.Line, columns[c].Name, reason, source.RawRecord);
                rejected++;
                continue;
            }

            if (request.IncludeLineageColumn)
            {
                writer.WriteBytes(jobId);
            }

            writer.EndRow();
            written++;
        }

        var dataSha256 = artifact.Complete();

        request.RowsProgress?.Report(read);
        return new TransformResult(columns, read, written, rejected, 0, artifact.DataPath, artifact.RejectsPath, warnings, dataSha256);
    }
}
