using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RewardEvents.IntegrationTests.Support;

/// <summary>
/// A real HTTP webhook receiver on loopback that records every request it gets and answers as the
/// test scripts it to (200 by default).
/// </summary>
public sealed class TestReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedWebhook> Requests { get; } = new();

    /// <summary>Decides the status code of each request; 200 when it returns null.</summary>
    public Func<ReceivedWebhook, int?> Respond { get; set; } = _ => null;

    /// <summary>Awaited before each request is answered (and recorded): a slow receiver, for as long as the test likes.</summary>
    public Func<ReceivedWebhook, Task> Hold { get; set; } = _ => Task.CompletedTask;

    public string Url { get; private set; } = "";

    /// <summary>When set, 429 and 503 answers carry <c>Retry-After</c> with this many seconds.</summary>
    public int? RetryAfterSeconds { get; set; }

    public static async Task<TestReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new TestReceiver(app);
        app.MapPost("/{**path}", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var request = new ReceivedWebhook(DateTimeOffset.UtcNow, headers, body);
            await receiver.Hold(request);
            var status = receiver.Respond(request) ?? 200;
            receiver.Requests.Enqueue(request with { AnsweredWith = status });
            if (status is 429 or 503 && receiver.RetryAfterSeconds is { } seconds)
            {
                http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return Results.StatusCode(status);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        receiver.Url = address + "/hooks";
        return receiver;
    }

    /// <summary>The requests this receiver answered 2xx, one per distinct <c>webhook-id</c>.</summary>
    public IReadOnlyList<ReceivedWebhook> Delivered() =>
        Requests.Where(r => r.AnsweredWith is >= 200 and < 300).GroupBy(r => r.WebhookId).Select(g => g.First()).ToList();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One request as the receiver saw it.</summary>
public sealed record ReceivedWebhook(DateTimeOffset At, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public int AnsweredWith { get; init; }

    public string WebhookId => Headers.GetValueOrDefault("webhook-id") ?? "";

    private JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string EventId => Json.GetProperty("event_id").GetString()!;

    public string EventType => Json.GetProperty("event").GetString()!;

    public string UserId => Json.GetProperty("user_id").GetString()!;

    public long Sequence => Json.GetProperty("sequence").GetInt64();
}
