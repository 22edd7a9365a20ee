using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RewardEvents.Fleet;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Reliability;

/// <summary>The compressed schedule against an always-failing receiver, on RabbitMQ and PostgreSQL.</summary>
public sealed class RetryScheduleTests(RabbitMqBroker broker, PostgresServer postgres)
{
    [Fact]
    public async Task A_lone_delivery_gets_exactly_four_attempts_at_the_configured_spacing_then_is_dead_lettered_announced_and_recoverable()
    {
        await using var fleet = await StartFleetAsync(circuitThreshold: 1000);
        using var api = fleet.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = _ => 500;
        await using var operations = await TestReceiver.StartAsync();
        var endpointId = await CreateEndpointAsync(api, receiver.Url, ["reward.redeemed"]);
        await CreateEndpointAsync(api, operations.Url, ["delivery.dead_lettered"]);

        var started = DateTimeOffset.UtcNow;
        await PostEventAsync(api, "evt_lone_1", "user_lone");
        var delivery = await Eventually.UntilValueAsync(async () =>
        {
            var status = await api.GetFromJsonAsync<JsonElement>("/v1/events/evt_lone_1");
            var d = status.GetProperty("deliveries")[0];
            return d.GetProperty("status").GetString() == "dead_lettered" ? (JsonElement?)d : null;
        }, TimeSpan.FromSeconds(120), "the delivery is dead-lettered after its schedule");

        var id = delivery.GetProperty("id").GetString();
        var attempts = await api.GetFromJsonAsync<JsonElement[]>($"/v1/deliveries/{id}/attempts");
        Assert.Equal([1, 2, 3, 4], attempts!.Select(a => a.GetProperty("number").GetInt32()));
        Assert.All(attempts!, a => Assert.Equal(500, a.GetProperty("status_code").GetInt32()));
        Assert.Equal(4, receiver.Requests.Count);
        Assert.Single(receiver.Requests.Select(r => r.WebhookId).Distinct());

        // Gaps between attempts follow 1s, 2s, 3s: never sooner than the jitter allows, and late only by
        // the sweep interval plus whatever a loaded 2-core CI machine adds.
        var times = receiver.Requests.Select(r => r.At).Order().ToList();
        var expected = new[] { 1.0, 2.0, 3.0 };
        for (var i = 0; i < 3; i++)
        {
            var gap = (times[i + 1] - times[i]).TotalSeconds;
            Assert.InRange(gap, expected[i] * 0.8 - 0.05, expected[i] * 1.2 + 2.5);
        }

        Assert.True((times[3] - times[0]).TotalSeconds >= 6 * 0.8, "the whole schedule ran");

        Assert.True(times[0] - started < TimeSpan.FromSeconds(5), "the first attempt is immediate");

        // The operational event reached the endpoint that subscribed to it.
        var announced = await Eventually.UntilAsync(
            () => Task.FromResult(operations.Delivered().FirstOrDefault()), TimeSpan.FromSeconds(30), "delivery.dead_lettered is delivered");
        var body = JsonDocument.Parse(announced.Body).RootElement;
        Assert.Equal("delivery.dead_lettered", body.GetProperty("event").GetString());
        Assert.Equal(id, body.GetProperty("data").GetProperty("delivery_id").GetString());
        Assert.Equal("evt_lone_1", body.GetProperty("data").GetProperty("original_event_id").GetString());

        // Fixed receiver, then recover: the dead letter is delivered, with the same webhook-id.
        receiver.Respond = _ => null;
        using var recover = await api.PostAsJsonAsync($"/v1/endpoints/{endpointId}/recover", new { since = started.AddMinutes(-1) });
        Assert.Equal(HttpStatusCode.Accepted, recover.StatusCode);
        Assert.Equal(1, (await recover.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recovered").GetInt32());
        var success = await Eventually.UntilAsync(
            () => Task.FromResult(receiver.Delivered().FirstOrDefault()), TimeSpan.FromSeconds(30), "the recovered delivery arrives");
        Assert.Equal(receiver.Requests.First().WebhookId, success.WebhookId);
        await Eventually.UntilAsync(async () =>
            (await api.GetFromJsonAsync<JsonElement>($"/v1/deliveries/{id}")).GetProperty("status").GetString() == "delivered",
            TimeSpan.FromSeconds(10), "the delivery is recorded as delivered");
    }

    [Fact]
    public async Task With_many_deliveries_the_circuit_keeps_requests_down_and_each_still_dead_letters_on_schedule()
    {
        const int Events = 30;
        await using var fleet = await StartFleetAsync(circuitThreshold: 3);
        using var api = fleet.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = _ => 503;
        await CreateEndpointAsync(api, receiver.Url, []);

        for (var i = 0; i < Events; i++)
        {
            await PostEventAsync(api, $"evt_many_{i:00}", $"user_many_{i:00}");
        }

        var deadLettered = await Eventually.UntilAsync(async () =>
        {
            var page = await api.GetFromJsonAsync<JsonElement>("/v1/deliveries?status=dead_lettered&limit=100");
            var items = page.GetProperty("items").EnumerateArray().ToList();
            return items.Count == Events ? items : null;
        }, TimeSpan.FromSeconds(180), "every delivery is dead-lettered once its schedule has run out");

        // Without the circuit the receiver would have seen 4 requests per delivery.
        Assert.True(receiver.Requests.Count < Events * 4 / 2, $"the circuit let {receiver.Requests.Count} requests through");
        foreach (var delivery in deadLettered)
        {
            var attempts = await api.GetFromJsonAsync<JsonElement[]>($"/v1/deliveries/{delivery.GetProperty("id").GetString()}/attempts");
            Assert.Equal([1, 2, 3, 4], attempts!.Select(a => a.GetProperty("number").GetInt32()));
            Assert.All(attempts!, a => Assert.False(a.GetProperty("succeeded").GetBoolean()));
        }
    }

    [Fact]
    public async Task An_endpoint_down_for_a_stretch_gets_few_probes_and_its_backlog_drains_when_it_is_back()
    {
        const int Events = 30;
        await using var fleet = await StartFleetAsync(circuitThreshold: 3);
        using var api = fleet.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        var down = true;
        receiver.Respond = _ => Volatile.Read(ref down) ? 503 : null;
        // Only reward.redeemed: an endpoint taking every type would also get its own endpoint.recovered event.
        using (var created = await api.PostAsJsonAsync("/v1/endpoints", new { url = receiver.Url, event_types = new[] { "reward.redeemed" }, retry_schedule = "1s,1s,1s,2s,2s,2s,3s,3s,5s,5s,10s" }))
        {
            created.EnsureSuccessStatusCode();
        }

        for (var i = 0; i < Events; i++)
        {
            await PostEventAsync(api, $"evt_down_{i:00}", $"user_down_{i:00}");
        }

        // Down until the circuit has opened and a few probe steps have passed.
        await Eventually.UntilAsync(async () =>
            (await api.GetFromJsonAsync<JsonElement>((await FirstEndpointUrlAsync(api)))).GetProperty("circuit").GetString() != "closed",
            TimeSpan.FromSeconds(30), "the circuit opens");
        var failedWhileDown = await Eventually.UntilValueAsync(
            () => Task.FromResult(receiver.Requests.Count >= 5 ? (int?)receiver.Requests.Count : null), TimeSpan.FromSeconds(30), "probes go out while down");
        Volatile.Write(ref down, false);

        try
        {
            await Eventually.UntilAsync(() => Task.FromResult(receiver.Delivered().Count == Events), TimeSpan.FromSeconds(90), "the backlog drains");
        }
        catch (TimeoutException ex)
        {
            var page = await api.GetFromJsonAsync<JsonElement>("/v1/deliveries?limit=100");
            var states = page.GetProperty("items").EnumerateArray().GroupBy(d => d.GetProperty("status").GetString()).Select(g => $"{g.Key}={g.Count()}");
            var endpoint = await api.GetFromJsonAsync<JsonElement>(await FirstEndpointUrlAsync(api));
            throw new TimeoutException($"{ex.Message} Deliveries: {string.Join(", ", states)}; endpoint: {endpoint}; requests {receiver.Requests.Count}", ex);
        }
        var refused = receiver.Requests.Count(r => r.AnsweredWith == 503);
        // Without the circuit every delivery would have been tried at least once while the endpoint was down.
        Assert.True(refused < Events / 2, $"{refused} requests reached the endpoint while it was down ({failedWhileDown} when it came back)");
        Assert.Equal(Events, receiver.Requests.Count(r => r.AnsweredWith == 200));
    }

    private static async Task<string> FirstEndpointUrlAsync(HttpClient api)
    {
        var page = await api.GetFromJsonAsync<JsonElement>("/v1/deliveries?limit=1");
        return $"/v1/endpoints/{page.GetProperty("items")[0].GetProperty("endpoint_id").GetString()}";
    }

    private async Task<FleetHost> StartFleetAsync(int circuitThreshold)
    {
        var vhost = await broker.CreateVirtualHostAsync("retry");
        var database = await postgres.CreateDatabaseAsync("retry");
        return await FleetHost.StartAsync(FleetRoles.All, new Dictionary<string, string?>
        {
            ["Transport:Kind"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = vhost.AmqpUri,
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:RewardEvents"] = database,
            ["Delivery:RetrySchedule"] = "1s,2s,3s",
            ["Delivery:CircuitBreakerThreshold"] = circuitThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Delivery:HeartbeatInterval"] = "00:00:00.500",
        });
    }

    internal static async Task<string> CreateEndpointAsync(HttpClient api, string url, string[] types)
    {
        using var response = await api.PostAsJsonAsync("/v1/endpoints", new { url, event_types = types });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    internal static async Task PostEventAsync(HttpClient api, string eventId, string userId)
    {
        using var response = await api.PostAsJsonAsync("/v1/events", new Dictionary<string, object>
        {
            ["event"] = "reward.redeemed", ["event_id"] = eventId, ["user_id"] = userId, ["reward_id"] = "reward_1",
            ["amount"] = 10, ["currency"] = "INR", ["status"] = "success", ["timestamp"] = "2026-05-05T10:00:00Z",
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }
}
