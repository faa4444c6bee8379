using Sluice.Pipelines;

namespace Sluice.Formats.Vectors;

/// <summary>The vectors of value types: the values live in a <c>T?[]</c>, which Parquet.Net writes without copying.</summary>
/// <typeparam name="T">The CLR type of a value.</typeparam>
public abstract class StructVector<T> : ColumnVector where T : struct, IEquatable<T>
{
    private protected StructVector(ColumnDefinition column, int capacity) : base(column) => Data = new T?[capacity];

    /// <summary>The values.</summary>
    public T?[] Data { get; }

    /// <inheritdoc />
    public override Array Values => Data;

    /// <inheritdoc />
    public override bool IsNull(int row) => !Data[row].HasValue;

    /// <inheritdoc />
    public override void SetNull(int row) => Data[row] = null;

    internal override bool SameValue(int row, ColumnVector other, int otherRow) =>
        other is StructVector<T> o && Nullable.Equals(Data[row], o.Data[otherRow]);
}
