using Sluice.Pipelines;

namespace Sluice.Stages.Transform;

/// <summary>What the transform stage turns into a load artifact.</summary>
/// <param name="SourcePath">The file in the job workspace.</param>
/// <param name="Csv">The file's dialect (of a CSV; its sample size is also a JSON Lines file's).</param>
/// <param name="Schema">Declared columns; null to infer them from a sample.</param>
/// <param name="OutputDirectory">Where <c>data.pgcopy</c> and <c>rejects.csv</c> are written (created if missing).</param>
/// <param name="JobId">Written into the lineage column of every row.</param>
/// <param name="IncludeLineageColumn">Whether each row ends with the job id (<c>_sluice_job_id</c>).</param>
/// <param name="RowsProgress">Receives the number of records read so far, now and then.</param>
/// <param name="Chunk">When set, only this chunk of the file is read (behind the file's header of the given length).</param>
/// <param name="AlsoWriteRowsTo">Called once the columns are known, before any row is written: a stream that receives
/// every byte of <c>data.pgcopy</c> as it is written (a streamed load), or null for none.</param>
/// <param name="SourceName">The file as its user knows it (<c>inbox/payments/2026-11-29.csv</c>), named in errors instead
/// of the workspace copy; null to name <paramref name="SourcePath"/>.</param>
/// <param name="TableTypes">Without a declared schema, the types of the target table's columns (when it exists): a column
/// of the file that the table has is read as the table's type instead of the one inferred from a sample.</param>
/// <param name="Format">The file's format: CSV, or JSON Lines and Parquet, read by their own readers.</param>
/// <param name="KeyColumns">Without a declared schema, the target's key columns: never null in the table, so an inferred
/// column of that name is not null, and a row without a value for it is rejected with its line rather than failing the
/// whole load (a declared schema makes key columns not null itself).</param>
public sealed record TransformRequest(
    string SourcePath,
    CsvOptions Csv,
    IReadOnlyList<ColumnDefinition>? Schema,
    string OutputDirectory,
    Guid JobId,
    bool IncludeLineageColumn,
    IProgress<long>? RowsProgress = null,
    (long HeaderBytes, Formats.Csv.CsvChunk Chunk)? Chunk = null,
    Func<IReadOnlyList<ColumnDefinition>, CancellationToken, Task<Stream?>>? AlsoWriteRowsTo = null,
    string? SourceName = null,
    IReadOnlyDictionary<string, ColumnType>? TableTypes = null,
    Formats.DataFormat Format = Formats.DataFormat.Csv,
    IReadOnlyList<string>? KeyColumns = null)
{
    /// <summary>Inferred columns as the target takes them: of the table's type where it has the column
    /// (<see cref="TableTypes"/>), not null where it is a key column (<see cref="KeyColumns"/>).</summary>
    internal IReadOnlyList<ColumnDefinition> AsTargetColumns(IReadOnlyList<ColumnDefinition> inferred) =>
        inferred.Select(c => TableTypes?.GetValueOrDefault(c.Name) is { } type ? c with { Type = type } : c)
            .Select(c => KeyColumns?.Contains(c.Name, StringComparer.Ordinal) == true ? c with { Nullable = false } : c)
            .ToList();
}
