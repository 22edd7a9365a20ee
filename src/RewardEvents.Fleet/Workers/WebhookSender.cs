using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Microsoft.Extensions.Options;
using RewardEvents.Webhooks;

namespace RewardEvents.Fleet.Workers;

/// <summary>POSTs one signed webhook and classifies what happened. Never throws for the receiver's faults.</summary>
public sealed class WebhookSender(HttpClient http, IOptions<DeliveryOptions> options, TimeProvider time)
{
    public static readonly string UserAgent =
        $"RewardEvents/{typeof(WebhookSender).Assembly.GetName().Version?.ToString(3) ?? "0.0.0"} (+webhooks)";

    /// <summary>Marks a test event sent on request (<c>POST /v1/endpoints/{id}/test</c>).</summary>
    public const string TestHeader = "webhook-test";

    private readonly DeliveryOptions _options = options.Value;

    public async Task<AttemptResult> SendAsync(
        string url, string webhookId, byte[] body, WebhookSigner signer, IEnumerable<KeyValuePair<string, string>>? headers,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var started = Stopwatch.GetTimestamp();
        var timestamp = time.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        // The endpoint's own headers first; the names the fleet sets are refused when they are saved.
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.TryAddWithoutValidation(WebhookHeaders.Id, webhookId);
        request.Headers.TryAddWithoutValidation(WebhookHeaders.Timestamp, timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(WebhookHeaders.Signature, signer.Sign(webhookId, timestamp, body));
        request.Headers.TryAddWithoutValidation("user-agent", UserAgent);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            var responseBody = await ReadBoundedAsync(response.Content, _options.MaxResponseBodyBytes, timeout.Token);
            var succeeded = status is >= 200 and < 300;
            return new AttemptResult
            {
                StatusCode = status,
                Error = succeeded ? null : $"http_{status}",
                ResponseBody = responseBody,
                Duration = Stopwatch.GetElapsedTime(started),
                RetryAfter = status is 429 or 503 ? RetryAfterOf(response, timestamp) : null,
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failure("timeout", started);
        }
        catch (HttpRequestException ex)
        {
            return Failure(Classify(ex), started);
        }
    }

    private static AttemptResult Failure(string error, long started) =>
        new() { Error = error, Duration = Stopwatch.GetElapsedTime(started) };

    private static string Classify(HttpRequestException ex)
    {
        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case DestinationBlockedException:
                    return "blocked_destination";
                case AuthenticationException:
                    return "tls";
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return "connection_refused";
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain }:
                    return "dns";
            }
        }

        return ex.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "dns",
            HttpRequestError.SecureConnectionError => "tls",
            HttpRequestError.ConnectionError => "connection_error",
            _ => "network",
        };
    }

    private static TimeSpan? RetryAfterOf(HttpResponseMessage response, DateTimeOffset now)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }

        return retryAfter?.Date is { } date && date > now ? date - now : null;
    }

    private static async Task<string?> ReadBoundedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        if (limit == 0)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(limit); // one per attempt otherwise, most of it never written
        try
        {
            var read = 0;
            while (read < limit)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read, limit - read), cancellationToken);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            return read == 0 ? null : Encoding.UTF8.GetString(buffer, 0, read);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
