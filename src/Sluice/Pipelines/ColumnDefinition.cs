namespace Sluice.Pipelines;

/// <summary>One column of a pipeline's schema, in source order.</summary>
/// <param name="Name">The target column name (also the CSV header it is read from).</param>
/// <param name="Type">The declared or inferred type.</param>
/// <param name="Nullable">False for key columns and columns declared <c>not null</c>.</param>
/// <param name="Format">How its values are written in the source when not canonically (<see cref="ValueFormat"/>).</param>
public sealed record ColumnDefinition(string Name, ColumnType Type, bool Nullable = true, ValueFormat? Format = null);
