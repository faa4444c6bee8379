namespace Sluice.Control;

/// <summary>One stage run in the express lane: the commit it would have made on its own, and when it ran
/// (<see cref="System.Diagnostics.Stopwatch"/> timestamps, turned into times on the database clock when recorded).</summary>
public sealed record ExpressStage(string Name, StageCommit Commit, long StartedAt, long FinishedAt);
