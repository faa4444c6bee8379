namespace Sluice.Formats;

/// <summary>A source record that could not become a row.</summary>
/// <param name="Line">The 1-based physical line (CSV, JSON Lines) or row number (Parquet) where it starts.</param>
/// <param name="Column">The column at fault, when one is.</param>
/// <param name="Reason">One sentence saying what is wrong.</param>
/// <param name="Raw">The record's original text, when the format has one.</param>
public sealed record RejectedRow(long Line, string? Column, string Reason, string Raw);
