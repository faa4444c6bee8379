namespace Sluice.Control;

/// <summary>Reconciliation counts; a null field is not reported by this stage and keeps its stored value.</summary>
public sealed record JobCounts(long? Read = null, long? Loaded = null, long? Rejected = null, long? Filtered = null);
