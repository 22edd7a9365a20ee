using System.Net.Http.Json;
using System.Text.Json;
using RewardEvents.IntegrationTests.Api;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Reliability;

/// <summary>How the fleet treats an endpoint that says it is gone, or asks to be left alone for a while (SQLite).</summary>
public sealed class EndpointHealthTests(EmbeddedServerFixture fixture)
    : EndpointHealthScenarios(fixture), IClassFixture<EmbeddedServerFixture>;

/// <summary>The same on PostgreSQL.</summary>
public sealed class EndpointHealthOnPostgresTests(PostgresEmbeddedServerFixture fixture)
    : EndpointHealthScenarios(fixture), IClassFixture<PostgresEmbeddedServerFixture>;

public abstract class EndpointHealthScenarios(EmbeddedServerFixture fixture)
{
    [Fact]
    public async Task A_410_disables_the_endpoint_announces_it_and_enable_releases_what_waited_in_order()
    {
        using var api = fixture.Server.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = _ => 410;
        await using var operations = await TestReceiver.StartAsync();
        var endpointId = await RetryScheduleTests.CreateEndpointAsync(api, receiver.Url, ["reward.redeemed"]);
        await RetryScheduleTests.CreateEndpointAsync(api, operations.Url, ["endpoint.disabled"]);

        await RetryScheduleTests.PostEventAsync(api, "evt_gone_1", "user_gone");
        var disabled = await Eventually.UntilValueAsync(async () =>
        {
            var endpoint = await api.GetFromJsonAsync<JsonElement>($"/v1/endpoints/{endpointId}");
            return endpoint.GetProperty("enabled").GetBoolean() ? (JsonElement?)null : endpoint;
        }, TimeSpan.FromSeconds(30), "the endpoint is disabled");
        Assert.Contains("410", disabled.GetProperty("disabled_reason").GetString(), StringComparison.Ordinal);

        var announced = await Eventually.UntilAsync(
            () => Task.FromResult(operations.Delivered().FirstOrDefault()), TimeSpan.FromSeconds(30), "endpoint.disabled is delivered");
        var body = JsonDocument.Parse(announced.Body).RootElement;
        Assert.Equal("endpoint.disabled", body.GetProperty("event").GetString());
        Assert.Equal(endpointId, body.GetProperty("data").GetProperty("endpoint_id").GetString());

        // While disabled, new events for the endpoint wait; nothing more is sent to it.
        await RetryScheduleTests.PostEventAsync(api, "evt_gone_2", "user_gone");
        await Eventually.UntilAsync(async () =>
            (await api.GetFromJsonAsync<JsonElement>("/v1/events/evt_gone_2")).GetProperty("deliveries").EnumerateArray()
                .Any(d => d.GetProperty("endpoint_id").GetString() == endpointId),
            TimeSpan.FromSeconds(30), "the second event is routed to the disabled endpoint");
        Assert.Single(receiver.Requests);

        receiver.Respond = _ => null;
        using (var enabled = await api.PostAsync($"/v1/endpoints/{endpointId}/enable", null))
        {
            enabled.EnsureSuccessStatusCode();
        }

        var delivered = await Eventually.UntilAsync(
            () => Task.FromResult(receiver.Delivered() is { Count: 2 } both ? both : null), TimeSpan.FromSeconds(30), "both wait-listed events arrive");
        Assert.Equal(["evt_gone_1", "evt_gone_2"], delivered.OrderBy(r => r.At).Select(r => r.EventId));
    }

    [Fact]
    public async Task A_429_with_Retry_After_delays_the_retry_that_long_but_no_longer_than_the_schedule_allows()
    {
        using var api = fixture.Server.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        var first = true;
        receiver.Respond = _ =>
        {
            var busy = first;
            first = false;
            return busy ? 429 : null;
        };
        receiver.RetryAfterSeconds = 3;
        using (var created = await api.PostAsJsonAsync("/v1/endpoints", new { url = receiver.Url, event_types = new[] { "reward.redeemed" }, retry_schedule = "500ms,5s" }))
        {
            created.EnsureSuccessStatusCode();
        }

        await RetryScheduleTests.PostEventAsync(api, "evt_busy", "user_busy");
        await Eventually.UntilAsync(() => Task.FromResult(receiver.Delivered().Count == 1), TimeSpan.FromSeconds(30), "the retry succeeds");
        var times = receiver.Requests.Select(r => r.At).Order().ToList();
        var gap = (times[1] - times[0]).TotalSeconds;
        // The schedule alone would have retried after about half a second; Retry-After asked for three.
        Assert.InRange(gap, 2.9, 5.0 + 2.5);
    }
}
