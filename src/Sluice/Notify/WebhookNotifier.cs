using System.Net.Http.Headers;
using System.Text;

namespace Sluice.Notify;

/// <summary>
/// POSTs a job event as JSON to a webhook URL, once, within <see cref="Timeout"/>. Returns the outcome instead of
/// throwing: a notification never fails a job. Retries are the notify stage's tries, queued with the pipeline's backoff,
/// so no worker waits between them.
/// </summary>
public sealed class WebhookNotifier(HttpClient http)
{
    /// <summary>How long one POST may take, answer included, before it counts as not delivered.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public sealed record Outcome(bool Delivered, string Detail);

    public async Task<Outcome> SendAsync(Uri url, string json, string eventId, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
            };
            // Receivers deduplicate on this id: delivery is at least once.
            request.Headers.Add("Sluice-Event-Id", eventId);
            using var response = await http.SendAsync(request, timeout.Token);
            return response.IsSuccessStatusCode
                ? new Outcome(true, $"{(int)response.StatusCode}")
                : new Outcome(false, $"answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Outcome(false, $"no answer within {Timeout.TotalSeconds:0}s");
        }
        catch (HttpRequestException e)
        {
            return new Outcome(false, e.Message);
        }
    }

    /// <summary>The URL without user info or query string, safe to log (tokens often travel there).</summary>
    public static string Redact(Uri url) => $"{url.Scheme}://{url.Host}{(url.IsDefaultPort ? "" : ":" + url.Port)}{url.AbsolutePath}";
}
