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

        var deliveries = new JsonArray();
        var body = JsonSerializer.Serialize(new { type, job = view }, BodyJson);
        var notifier = new WebhookNotifier(http);
        var failures = 0;
        foreach (var n in context.Pipeline.Notify)
        {
            if (n.Events.Count > 0 && !n.Events.Contains(type)) continue;
            var outcome = await notifier.SendAsync(n.Webhook, body, $"{view.Id}:{view.Attempt}:{type}", ct);
            var where = WebhookNotifier.Redact(n.Webhook);
            deliveries.Add(new JsonObject { ["webhook"] = where, ["delivered"] = outcome.Delivered, ["attempts"] = outcome.Attempts, ["detail"] = outcome.Detail });
            if (outcome.Delivered) context.Info($"webhook {where} accepted {type} ({outcome.Detail})");
            else { failures++; context.Warn($"webhook {where} not reached after {outcome.Attempts} tries: {outcome.Detail}"); }
        }
        var outputs = new JsonObject { ["event"] = type, ["deliveries"] = deliveries };
        return failures == 0
            ? new StageResult(outputs)
            : new StageResult(outputs, Failure: new StageFailure("notify.undelivered", $"{failures} webhook(s) could not be reached; the job's outcome stands."));
    }
}
