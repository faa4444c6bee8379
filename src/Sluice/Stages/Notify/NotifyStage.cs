using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Errors;
using Sluice.Notify;

namespace Sluice.Stages.Notify;

/// <summary>
/// Tells the world how the job ended: a webhook POST per configured notifier. Runs after the job's outcome is
/// committed, so a failed notification is recorded on this stage but never fails or undoes the job. A pipeline without
/// webhooks has nothing to deliver (the outcome is already in the events outbox), so its jobs end at publish.
/// </summary>
public sealed class NotifyStage(HttpClient http) : IOptionalStage
{
    // Text as written (row's, café) rather than \u0027 and \u00E9.
    private static readonly JsonSerializerOptions BodyJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string Name => "notify";

    public bool IsNeeded(Control.JobRecord job, Pipelines.Pipeline pipeline) => pipeline.Notify.Count > 0;

    public async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        if (context.Pipeline.Notify.Count == 0)
        {
            // Run only when asked for (a replay from notify): nothing to deliver, the outcome is already in the outbox.
            context.Info($"job {context.Job.Status}; no webhooks configured");
            return new StageResult(new JsonObject { ["event"] = "job." + context.Job.Status, ["deliveries"] = new JsonArray() });
        }
        var view = await context.ControlPlane.Jobs.GetViewAsync(context.Job.Id, ct)
                   ?? throw new SluiceException("job.missing", $"job {context.Job.Id} disappeared from the control plane.");
        var type = "job." + view.Status;
        var c = view.Counts;
        context.Info(view.Status == "succeeded"
            ? $"job succeeded: {c.Read:N0} read, {c.Loaded:N0} loaded, {c.Rejected:N0} rejected, {c.Filtered:N0} filtered"
            : $"job failed: {view.Error?.Code}: {view.Error?.Message}");

        var body = JsonSerializer.Serialize(new { type, job = view }, BodyJson);
        // One POST per webhook per try, all at once, each within the notifier's timeout: a webhook that hangs or fails
        // holds this worker for one timeout, not for a whole series of retries, while other jobs wait for workers.
        // Between tries the task waits in the queue (the pipeline's retry backoff), its worker free for other work.
        var notifier = new WebhookNotifier(http);
        var wanted = context.Pipeline.Notify.Where(n => n.Events.Count == 0 || n.Events.Contains(type)).ToList();
        var outcomes = await Task.WhenAll(wanted.Select(n => notifier.SendAsync(n.Webhook, body, $"{view.Id}:{view.Attempt}:{type}", ct)));
        var deliveries = new JsonArray();
        var failures = 0;
        for (var i = 0; i < wanted.Count; i++)
        {
            var (where, outcome) = (WebhookNotifier.Redact(wanted[i].Webhook), outcomes[i]);
            deliveries.Add(new JsonObject { ["webhook"] = where, ["delivered"] = outcome.Delivered, ["attempts"] = context.Task.Try, ["detail"] = outcome.Detail });
            if (outcome.Delivered) context.Info($"webhook {where} accepted {type} ({outcome.Detail})");
            else { failures++; context.Warn($"webhook {where} not reached (try {context.Task.Try}/{context.Task.MaxTries}): {outcome.Detail}"); }
        }
        if (failures > 0 && context.Task.Try < context.Task.MaxTries)
            throw new SluiceException("notify.undelivered", $"{failures} webhook(s) could not be reached; trying again (the job's outcome stands).", transient: true);
        var outputs = new JsonObject { ["event"] = type, ["deliveries"] = deliveries };
        return failures == 0
            ? new StageResult(outputs)
            : new StageResult(outputs, Failure: new StageFailure("notify.undelivered", $"{failures} webhook(s) could not be reached after {context.Task.Try} tries; the job's outcome stands."));
    }
}
