using System.Net.Http.Headers;
using System.Text;
using Polly;
using Polly.Retry;

namespace Sluice.Notify;

/// <summary>
/// POSTs a job event as JSON to a webhook URL, retried with exponential backoff and jitter on network errors,
/// timeouts and 5xx/429 answers. Returns the outcome instead of throwing: a notification never fails a job.
/// </summary>
public sealed class WebhookNotifier(HttpClient http, int maxAttempts = 5, TimeSpan? firstDelay = null)
{
    public sealed record Outcome(bool Delivered, int Attempts, string Detail);

    public async Task<Outcome> SendAsync(Uri url, string json, string eventId, CancellationToken ct)
    {
        var attempts = 0;
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = Math.Max(0, maxAttempts - 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = firstDelay ?? TimeSpan.FromMilliseconds(500),
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TaskCanceledException>(e => !ct.IsCancellationRequested)
                    .HandleResult(r => (int)r.StatusCode >= 500 || (int)r.StatusCode == 429),
            })
            .AddTimeout(TimeSpan.FromSeconds(10))
            .Build();
        try
        {
            using var response = await pipeline.ExecuteAsync(async token =>
            {
                attempts++;
                using var request = new HttpRequestMessage(HttpMethod.Post, url)
                {
                    Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
                };
                // Receivers deduplicate on this id: delivery is at least once.
                request.Headers.Add("Sluice-Event-Id", eventId);
                return await http.SendAsync(request, token);
            }, ct);
            return response.IsSuccessStatusCode
                ? new Outcome(true, attempts, $"{(int)response.StatusCode}")
                : new Outcome(false, attempts, $"answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or TimeoutException or Polly.Timeout.TimeoutRejectedException && !ct.IsCancellationRequested)
        {
            return new Outcome(false, attempts, e.Message);
        }
    }

    /// <summary>The URL without user info or query string, safe to log (tokens often travel there).</summary>
    public static string Redact(Uri url) => $"{url.Scheme}://{url.Host}{(url.IsDefaultPort ? "" : ":" + url.Port)}{url.AbsolutePath}";
}
