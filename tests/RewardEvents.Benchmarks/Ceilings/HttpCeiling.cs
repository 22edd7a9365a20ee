using System.Net.Http.Headers;
using RewardEvents.Webhooks;

namespace RewardEvents.Benchmarks.Ceilings;

/// <summary>
/// What HTTP alone does on this machine: signed webhook POSTs from one HttpClient to the local receiver,
/// which verifies each one, at the same concurrency as the broker ceiling.
/// </summary>
public static class HttpCeiling
{
    public static async Task<CeilingResult> MeasureAsync(
        WebhookReceiver receiver, byte[] body, int requests, int concurrency, int warmupRounds, double warmupJitShare, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(body);
        using var cancel = new CancellationTokenSource(timeout);
        var secret = WebhookSecret.Generate();
        var url = receiver.Register("http-ceiling", secret);
        var signer = new WebhookSigner(secret);

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, UseProxy = false };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        var failures = 0;
        using var gate = new SemaphoreSlim(concurrency);
        var rounds = await CeilingWarmup.RunAsync(RoundAsync, requests, warmupRounds, warmupJitShare);
        failures = 0;
        receiver.Reset();
        var window = CeilingWindow.Start();
        await RoundAsync(requests);
        var (elapsed, cpu, jitMs) = window.Stop(requests);
        var rate = requests / elapsed.TotalSeconds;
        return new CeilingResult("http", requests, concurrency, body.Length, rate,
            new Dictionary<string, double>
            {
                ["failed"] = failures,
                ["verified"] = receiver.Receipts.Unique + receiver.Receipts.Duplicates,
                ["warmup_rounds"] = rounds,
                ["jit_ms"] = jitMs,
            },
            cpu);

        async Task RoundAsync(int count)
        {
            var inFlight = new List<Task>(count);
            for (var i = 0; i < count; i++)
            {
                await gate.WaitAsync(cancel.Token);
                inFlight.Add(PostAsync(i));
            }

            await Task.WhenAll(inFlight);
        }

        async Task PostAsync(int i)
        {
            try
            {
                // Same bytes each time, but a fresh webhook id per request, as the fleet sends.
                var id = $"msg_{i:D8}";
                var now = DateTimeOffset.UtcNow;
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
                request.Headers.Add(WebhookHeaders.Id, id);
                request.Headers.Add(WebhookHeaders.Timestamp, now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
                request.Headers.Add(WebhookHeaders.Signature, signer.Sign(id, now, body));
                using var response = await client.SendAsync(request, cancel.Token);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref failures);
                }
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
