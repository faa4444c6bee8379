namespace Sluice.Pipelines;

/// <summary>One notification target of a pipeline. Today: a webhook receiving a JSON event by POST.</summary>
/// <param name="Webhook">An http(s) URL.</param>
/// <param name="Events">Event types sent; empty means job.succeeded and job.failed.</param>
public sealed record NotifierDefinition(Uri Webhook, IReadOnlyList<string> Events);
