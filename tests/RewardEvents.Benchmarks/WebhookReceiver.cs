using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RewardEvents.Webhooks;

namespace RewardEvents.Benchmarks;

/// <summary>
/// The far end of every HTTP stage: a minimal Kestrel app on 127.0.0.1 that verifies each webhook's
/// signature like a real receiver would, then counts it and notes its publish-to-receipt latency.
/// Paths are <c>/hooks/{name}</c>; a name's secret is registered before traffic is aimed at it.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, WebhookVerifier> _verifiers = new(StringComparer.Ordinal);
    private ReceiptLog _log = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri BaseUri { get; private set; } = new("http://127.0.0.1/");

    /// <summary>Receipts since the last <see cref="Reset"/>.</summary>
    public ReceiptLog Receipts => _log;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks/{name}", receiver.ReceiveAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.BaseUri = new Uri(address.EndsWith('/') ? address : address + "/");
        return receiver;
    }

    public Uri Register(string name, WebhookSecret secret)
    {
        _verifiers[name] = new WebhookVerifier([secret]);
        return new Uri(BaseUri, $"hooks/{name}");
    }

    public void Reset() => _log = new ReceiptLog();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> ReceiveAsync(string name, HttpRequest request)
    {
        var received = DateTimeOffset.UtcNow;
        var log = _log;
        using var buffer = new MemoryStream((int)(request.ContentLength ?? 512));
        await request.Body.CopyToAsync(buffer);
        var body = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);

        var headers = new Dictionary<string, string>(3, StringComparer.OrdinalIgnoreCase);
        foreach (var header in (ReadOnlySpan<string>)[WebhookHeaders.Id, WebhookHeaders.Timestamp, WebhookHeaders.Signature])
        {
            if (request.Headers.TryGetValue(header, out var value))
            {
                headers[header] = value.ToString();
            }
        }

        if (!_verifiers.TryGetValue(name, out var verifier) || !verifier.TryVerify(headers, body, out _))
        {
            log.Reject();
            return Results.Unauthorized();
        }

        var (eventId, timestamp) = Read(body);
        log.Accept(name, eventId, received, timestamp);
        return Results.Ok();
    }

    private static (string EventId, DateTimeOffset? Timestamp) Read(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        string? eventId = null;
        DateTimeOffset? timestamp = null;
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
            {
                continue;
            }

            if (reader.ValueTextEquals("event_id"u8))
            {
                reader.Read();
                eventId = reader.GetString();
            }
            else if (reader.ValueTextEquals("timestamp"u8))
            {
                reader.Read();
                timestamp = reader.TryGetDateTimeOffset(out var t) ? t : null;
            }
            else
            {
                reader.Skip();
            }
        }

        return (eventId ?? "", timestamp);
    }
}
