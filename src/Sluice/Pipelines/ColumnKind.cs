namespace Sluice.Pipelines;

/// <summary>The PostgreSQL types a pipeline schema may declare.</summary>
public enum ColumnKind
{
    Text,
    Varchar,
    Char,
    SmallInt,
    Int,
    BigInt,
    Numeric,
    Real,
    Double,
    Boolean,
    Date,
    Timestamp,
    TimestampTz,
    Uuid,
    Json,
    Jsonb,
}
