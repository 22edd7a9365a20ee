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

    /// <summary>Every span received so far, decoded from the <c>ExportTraceServiceRequest</c> messages.</summary>
    public IReadOnlyList<ExportedSpan> Spans() =>
        Exports.Where(e => e.Path == "/v1/traces").SelectMany(e => OtlpTraces.Decode(e.Body)).ToList();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A span as exported: the service that sent it (its resource's <c>service.name</c>), its trace and name.</summary>
public sealed record ExportedSpan(string Service, string TraceId, string SpanId, string ParentSpanId, string Name);

/// <summary>
/// Just enough of the OTLP trace protobuf schema to read spans: a reader of the wire format (varints and
/// length-delimited fields) walking ExportTraceServiceRequest → ResourceSpans → (Resource, ScopeSpans → Span).
/// </summary>
internal static class OtlpTraces
{
    public static IEnumerable<ExportedSpan> Decode(byte[] request)
    {
        foreach (var resourceSpans in Fields(request, 1)) // ExportTraceServiceRequest.resource_spans
        {
            var service = "";
            foreach (var resource in Fields(resourceSpans, 1)) // ResourceSpans.resource
            {
                foreach (var attribute in Fields(resource, 1)) // Resource.attributes (KeyValue)
                {
                    var key = Text(Fields(attribute, 1).FirstOrDefault());
                    if (key == "service.name")
                    {
                        service = Text(Fields(Fields(attribute, 2).First(), 1).FirstOrDefault()); // AnyValue.string_value
                    }
                }
            }

            foreach (var scopeSpans in Fields(resourceSpans, 2)) // ResourceSpans.scope_spans
            {
                foreach (var span in Fields(scopeSpans, 2)) // ScopeSpans.spans
                {
                    yield return new ExportedSpan(
                        service,
                        Convert.ToHexStringLower(Fields(span, 1).FirstOrDefault() ?? []),
                        Convert.ToHexStringLower(Fields(span, 2).FirstOrDefault() ?? []),
                        Convert.ToHexStringLower(Fields(span, 4).FirstOrDefault() ?? []),
                        Text(Fields(span, 5).FirstOrDefault()));
                }
            }
        }
    }

    private static string Text(byte[]? bytes) => bytes is null ? "" : System.Text.Encoding.UTF8.GetString(bytes);

    /// <summary>The payloads of the length-delimited fields numbered <paramref name="number"/> in a message.</summary>
    private static List<byte[]> Fields(byte[] message, int number)
    {
        var found = new List<byte[]>();
        var position = 0;
        while (position < message.Length)
        {
            var tag = ReadVarint(message, ref position);
            var field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    ReadVarint(message, ref position);
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(message, ref position);
                    if (field == number)
                    {
                        found.Add(message[position..(position + length)]);
                    }

                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type {tag & 7} at byte {position}.");
            }
        }

        return found;
    }

    private static ulong ReadVarint(byte[] buffer, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = buffer[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
