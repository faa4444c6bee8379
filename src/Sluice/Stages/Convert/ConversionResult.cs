using Sluice.Formats;
using Sluice.Pipelines;

namespace Sluice.Stages.Conversion; // not .Convert: that would hide System.Convert in every stage namespace

/// <summary>What a conversion did: the columns used, the rows read, written and rejected, and what was noticed.</summary>
/// <param name="Columns">The schema the source was read with (declared or inferred) and the target written with.</param>
/// <param name="Read">Records read (written + rejected).</param>
/// <param name="Written">Rows written to the target.</param>
/// <param name="Rejected">Records that could not become rows (in the rejects file with line and reason).</param>
/// <param name="FirstReject">The first rejected record, for messages.</param>
/// <param name="Warnings">Things noticed but not refused.</param>
public sealed record ConversionResult(
    IReadOnlyList<ColumnDefinition> Columns,
    long Read,
    long Written,
    long Rejected,
    RejectedRow? FirstReject,
    IReadOnlyList<string> Warnings);
