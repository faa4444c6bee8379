namespace Sluice.Stages.Validate;

/// <summary>One difference between the source and its reconversion.</summary>
/// <param name="Row">The 1-based row number among the converted rows (0 for a schema difference).</param>
/// <param name="SourceLine">The line of the source the row came from (0 when the source has no such row).</param>
/// <param name="Column">The column that differs (or the column position for a schema difference).</param>
/// <param name="Source">The source's value (<c>NULL</c> for null), or what the source has.</param>
/// <param name="Converted">The value after conversion and back, or what the converted file has.</param>
public sealed record ValueMismatch(long Row, long SourceLine, string Column, string Source, string Converted);
