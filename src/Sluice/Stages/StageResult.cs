using System.Text.Json.Nodes;
using Sluice.Control;

namespace Sluice.Stages;

/// <summary>
/// What a finished stage reports: its outputs (files with checksums, figures), reconciliation counts, and optionally
/// a failure that ends the job although the stage itself completed (its outputs and counts are still recorded).
/// <see cref="Chunks"/>, from the stage that plans them, is how many chunks the job's later stages run in (1: whole).
/// <see cref="NextStageDone"/>: the stage already did the work of the stage after it (transform's streamed load), so
/// the worker runs that stage at once, in an express lane with this one, instead of queueing it.
/// </summary>
public sealed record StageResult(JsonObject Outputs, JobCounts? Counts = null, StageFailure? Failure = null, int? Chunks = null,
    bool NextStageDone = false);
