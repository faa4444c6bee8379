using Sluice.Pipelines;

namespace Sluice.Stages.Transform;

/// <summary>What the transform stage produced. Always <c>Written + Rejected + Filtered == Read</c>.</summary>
/// <param name="Columns">The columns of the artifact in order (declared or inferred), without the lineage column.</param>
/// <param name="Read">Data records read (the header is not counted; blank lines are not records).</param>
/// <param name="Written">Rows written to <paramref name="DataPath"/>.</param>
/// <param name="Rejected">Records set aside in <paramref name="RejectsPath"/>.</param>
/// <param name="Filtered">Records dropped on purpose by a filter (none yet).</param>
/// <param name="DataPath">The binary COPY file.</param>
/// <param name="RejectsPath">The rejects CSV (<c>line,column,reason,raw</c>).</param>
/// <param name="Warnings">Things a user should know that did not stop the job (e.g. skipped CSV columns).</param>
/// <param name="DataSha256">The SHA-256 of <paramref name="DataPath"/>'s bytes, taken as they were written.</param>
public sealed record TransformResult(
    IReadOnlyList<ColumnDefinition> Columns,
    long Read,
    long Written,
    long Rejected,
    long Filtered,
    string DataPath,
    string RejectsPath,
    IReadOnlyList<string> Warnings,
    string DataSha256)
{
    /// <summary>What the job's log should tell about how the file was read (a Parquet file re-cut into small row groups).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
