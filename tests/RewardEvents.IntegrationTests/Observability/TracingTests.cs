using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using RewardEvents.Fleet;
using RewardEvents.IntegrationTests.Api;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Observability;

/// <summary>One trace from the ingest request to the receiver's POST; spans and metrics an operator can search.</summary>
public sealed class TracingTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ConcurrentQueue<(string Name, long Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly EmbeddedServerFixture _fixture = new();
    private ActivityListener? _listener;
    private MeterListener? _meters;

    public async ValueTask InitializeAsync()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => _spans.Enqueue(a),
        };
        ActivitySource.AddActivityListener(_listener);
        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "RewardEvents")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            _measurements.Enqueue((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        _meters.Start();
        await _fixture.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _fixture.DisposeAsync();
        _listener?.Dispose();
        _meters?.Dispose();
    }

    [Fact]
    public async Task The_receiver_continues_the_producers_trace_and_a_later_retry_links_back_to_it()
    {
        using var api = _fixture.Server.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        var first = true;
        receiver.Respond = _ =>
        {
            var fail = first;
            first = false;
            return fail ? 503 : null;
        };
        using var created = await api.PostAsJsonAsync("/v1/endpoints", new { url = receiver.Url });
        var endpointId = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetString();

        // The producer's own trace: its HTTP client carries it to the ingest API as traceparent.
        var producer = new Activity("producer publishes a redemption").Start();
        var traceId = producer.TraceId;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events")
        {
            Content = JsonContent.Create(new Dictionary<string, object>
            {
                ["event"] = "reward.redeemed", ["event_id"] = "evt_traced", ["user_id"] = "user_secret_42", ["reward_id"] = "r1",
                ["amount"] = 5, ["currency"] = "INR", ["status"] = "success", ["timestamp"] = "2026-05-05T10:00:00Z",
            }),
        };
        using (var accepted = await api.SendAsync(request))
        {
            accepted.EnsureSuccessStatusCode();
        }

        producer.Stop();

        var delivered = await Eventually.UntilAsync(() => Task.FromResult(receiver.Delivered().FirstOrDefault()), TimeSpan.FromSeconds(30), "the webhook arrives");
        var failedAttempt = receiver.Requests.First(r => r.AnsweredWith == 503);

        // The first attempt went out inside the producer's trace: the receiver can continue it.
        Assert.Equal(traceId.ToString(), failedAttempt.Headers["traceparent"].Split('-')[1]);

        // The retry came from the schedule sweep, in a trace of its own, linked to the original one.
        var attempts = await Eventually.UntilAsync(() =>
        {
            var found = _spans.Where(s => s.Source.Name == "RewardEvents" && (string?)s.GetTagItem("rewardevents.event_id") == "evt_traced").ToList();
            return Task.FromResult(found.Count >= 2 ? found : null);
        }, TimeSpan.FromSeconds(10), "both attempt spans are recorded");
        var firstSpan = attempts.Single(s => (int)s.GetTagItem("rewardevents.attempt")! == 1);
        var retrySpan = attempts.Single(s => (int)s.GetTagItem("rewardevents.attempt")! == 2);
        Assert.Equal(traceId, firstSpan.TraceId);
        Assert.Equal(503, firstSpan.GetTagItem("http.response.status_code"));
        Assert.Equal("http_503", firstSpan.GetTagItem("error.type"));
        Assert.NotEqual(traceId, retrySpan.TraceId);
        Assert.Contains(retrySpan.Links, l => l.Context.TraceId == traceId);
        Assert.Equal(delivered.Headers["traceparent"].Split('-')[1], retrySpan.TraceId.ToString());

        // Operators search by these; the user id is personal data and only its hash is recorded.
        Assert.Equal(endpointId, retrySpan.GetTagItem("rewardevents.endpoint_id"));
        Assert.NotNull(retrySpan.GetTagItem("rewardevents.delivery_id"));
        Assert.Equal(FleetTelemetry.HashUser("user_secret_42"), retrySpan.GetTagItem("rewardevents.user"));
        Assert.DoesNotContain(attempts.SelectMany(s => s.TagObjects), t => Equals(t.Value, "user_secret_42"));

        // Metrics: bounded labels (endpoint, outcome), never the event or the user.
        Assert.Contains(_measurements, m => m.Name == "rewardevents.events.ingested" && Equals(m.Tags["event_type"], "reward.redeemed"));
        Assert.Contains(_measurements, m => m.Name == "rewardevents.deliveries.attempts" && Equals(m.Tags["outcome"], "failure") && Equals(m.Tags["endpoint_id"], endpointId));
        Assert.Contains(_measurements, m => m.Name == "rewardevents.deliveries.delivered" && Equals(m.Tags["endpoint_id"], endpointId));
        Assert.DoesNotContain(_measurements, m => m.Tags.Values.Any(v => Equals(v, "evt_traced") || Equals(v, "user_secret_42")));
    }
}
