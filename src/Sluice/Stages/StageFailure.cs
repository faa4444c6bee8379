namespace Sluice.Stages;

/// <summary>A stage that ran to the end but whose result must fail the job (e.g. too many rejected rows).</summary>
public sealed record StageFailure(string Code, string Message);
