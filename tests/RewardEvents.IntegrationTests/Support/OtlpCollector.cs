using System.Collections.Concurrent;
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
/// A real OTLP/HTTP endpoint on loopback: it accepts what exporters POST to <c>/v1/traces</c>,
/// <c>/v1/metrics</c> and <c>/v1/logs</c> (protobuf) and keeps each body as it came.
/// </summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpCollector(WebApplication app) => _app = app;

    /// <summary>The base address to give exporters as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public string Endpoint { get; private set; } = "";

    public ConcurrentQueue<(string Path, string ContentType, byte[] Body)> Exports { get; } = new();

    public static async Task<OtlpCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var collector = new OtlpCollector(app);
        app.MapPost("/v1/{signal}", async (string signal, HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            collector.Exports.Enqueue(($"/v1/{signal}", http.Request.ContentType ?? "", body.ToArray()));
            // An empty ExportTraceServiceResponse (and its metrics/logs siblings) is an empty protobuf message.
            return Results.Bytes([], "application/x-protobuf");
        });
        await app.StartAsync();
        collector.Endpoint = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return collector;
    }

    /// <summary>Trace exports whose bytes contain every one of <paramref name="needles"/>.</summary>
    public IReadOnlyList<byte[]> TraceExportsContaining(params byte[][] needles) =>
        Exports.Where(e => e.Path == "/v1/traces")
            .Select(e => e.Body)
            .Where(body => needles.All(n => body.AsSpan().IndexOf(n) >= 0))
            .ToList();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
