using System.Net.Http.Json;
using RewardEvents.IntegrationTests.Infrastructure;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Observability;

/// <summary>
/// The Api, the Router and a Worker as separate processes on real RabbitMQ and PostgreSQL, exporting
/// with OTLP/HTTP to a real collector endpoint: the trace that reaches the receiver's
/// <c>traceparent</c> is one trace with spans from all three services.
/// </summary>
[Collection(typeof(ServerRestartCollection))]
public sealed class OtlpExportTests(RabbitMqBroker broker, PostgresServer postgres) : IAsyncLifetime
{
    private string _work = "";
    private readonly OwnedResources _owned = new();

    public ValueTask InitializeAsync()
    {
        _work = _owned.TempDirectory("rewardevents-otlp-");
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _owned.DisposeAsync();

    [Fact]
    public async Task One_trace_from_ingest_through_router_and_worker_is_exported_by_each_host_with_its_service_name()
    {
        var collector = Own(await OtlpCollector.StartAsync());
        var receiver = Own(await TestReceiver.StartAsync());
        var vhost = await broker.CreateVirtualHostAsync("otlp");
        var database = await postgres.CreateDatabaseAsync("otlp");
        var settings = new Dictionary<string, string?>
        {
            ["Transport:Kind"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = vhost.AmqpUri,
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:RewardEvents"] = database,
            ["Security:ApiKeys:0"] = FleetHost.ApiKey,
            ["Delivery:AllowPrivateNetworks"] = "true",
            ["Delivery:Partitions"] = "4",
            // The standard OpenTelemetry variables, as an operator would set them.
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        };

        // The Api migrates the database before the others start against it.
        var api = Own(FleetProcess.Start("Api", settings, _work));
        await api.WaitReadyAsync(TimeSpan.FromSeconds(60));
        var hosts = new[] { Own(FleetProcess.Start("Router", settings, _work)), Own(FleetProcess.Start("Worker", settings, _work)) };
        await Task.WhenAll(hosts.Select(h => h.WaitReadyAsync(TimeSpan.FromSeconds(60))));

        using var client = new HttpClient { BaseAddress = new Uri(api.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", FleetHost.ApiKey);
        await Reliability.RetryScheduleTests.CreateEndpointAsync(client, receiver.Url, []);
        await Reliability.RetryScheduleTests.PostEventAsync(client, "evt_otlp", "user_otlp");

        var delivered = await Eventually.UntilAsync(() => Task.FromResult(receiver.Delivered().FirstOrDefault()), TimeSpan.FromSeconds(60), "the webhook arrives");
        var traceId = delivered.Headers["traceparent"].Split('-')[1];

        // Decoded from what arrived: each host's spans of that trace, under its own service name.
        var spans = await Eventually.UntilAsync(() =>
        {
            var inTrace = collector.Spans().Where(s => s.TraceId == traceId).ToList();
            var services = inTrace.Select(s => s.Service).ToHashSet();
            var complete = services.SetEquals(["rewardevents-api", "rewardevents-router", "rewardevents-worker"])
                && inTrace.Any(s => s.Name == "webhook attempt") && inTrace.Any(s => s.SpanId == delivered.Headers["traceparent"].Split('-')[2]);
            return Task.FromResult(complete ? inTrace : null);
        }, TimeSpan.FromSeconds(30), $"spans of trace {traceId} from the api, the router and the worker, down to the webhook attempt and its POST");

        var tree = string.Join("; ", spans.Select(s => $"{s.Service}/{s.Name} {s.SpanId}<-{s.ParentSpanId}"));
        var attempt = spans.SingleOrDefault(s => s.Name == "webhook attempt") ?? throw new Xunit.Sdk.XunitException($"No single 'webhook attempt' span in: {tree}");
        Assert.Equal("rewardevents-worker", attempt.Service);
        // The receiver's traceparent names the outbound POST's span, a child (via the HTTP client span) of the attempt.
        var post = spans.SingleOrDefault(s => s.SpanId == delivered.Headers["traceparent"].Split('-')[2])
            ?? throw new Xunit.Sdk.XunitException($"No span {delivered.Headers["traceparent"]} in: {tree}");
        Assert.True(attempt.SpanId == post.ParentSpanId, $"the POST's parent is the attempt: {tree}");
        Assert.Contains(spans, s => s.Service == "rewardevents-api" && s.ParentSpanId.Length == 0); // the ingest request is the root
        Assert.All(collector.Exports.Where(e => e.Path == "/v1/traces"), e => Assert.Equal("application/x-protobuf", e.ContentType));
        // Metrics travel the same way; the fleet's own meter is among them.
        await Eventually.UntilAsync(
            () => Task.FromResult(collector.Exports.Any(e => e.Path == "/v1/metrics" && e.Body.AsSpan().IndexOf("rewardevents.deliveries.attempts"u8) >= 0)),
            TimeSpan.FromSeconds(30), "the worker exports the rewardevents meter");
    }

    private T Own<T>(T value)
        where T : IAsyncDisposable => _owned.Own(value);
}
