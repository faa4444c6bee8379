namespace Sluice.Pipelines;

/// <summary>How often a stage that fails transiently is tried, and how long to wait between tries.</summary>
/// <param name="MaxAttempts">Tries of one stage before the job fails (1 means no retry).</param>
/// <param name="Backoff">The first wait; each further wait doubles, with jitter.</param>
public sealed record RetryPolicy(int MaxAttempts, TimeSpan Backoff)
{
    public static readonly RetryPolicy Default = new(5, TimeSpan.FromSeconds(1));
}
