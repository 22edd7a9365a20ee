using System.Net.Http.Json;
using System.Text.Json;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;
using RewardEvents.Webhooks;

namespace RewardEvents.IntegrationTests.Pipeline;

/// <summary>
/// The pipeline's end-to-end scenario, run against any fleet: three endpoints with different
/// subscriptions, 200 events over 20 users, a duplicate, and a receiver that fails first.
/// </summary>
public abstract class FleetScenario
{
    private static readonly string[] Types = ["reward.redeemed", "reward.redemption_failed", "reward.redemption_reversed"];

    /// <summary>Sends the event as a producer would; the default posts it to the ingest API.</summary>
    protected virtual async Task PublishAsync(HttpClient api, int index, string eventId, string type, string userId)
    {
        using var response = await api.PostAsJsonAsync("/v1/events", EventBody(eventId, type, userId, index));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
    }

    protected static object EventBody(string eventId, string type, string userId, int index) => new Dictionary<string, object>
    {
        ["event"] = type,
        ["event_id"] = eventId,
        ["user_id"] = userId,
        ["reward_id"] = $"reward_{index % 7}",
        ["amount"] = 100 + index,
        ["currency"] = "INR",
        ["status"] = type == "reward.redeemed" ? "success" : type == "reward.redemption_failed" ? "failed" : "reversed",
        ["timestamp"] = "2026-05-05T10:00:00Z",
    };

    protected async Task RunAsync(HttpClient api, TimeSpan deadline)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        await using var redeemedOnly = await TestReceiver.StartAsync();
        await using var redeemedAndReversed = await TestReceiver.StartAsync();
        await using var everything = await TestReceiver.StartAsync();
        // The all-types receiver answers 500 to the first attempt of every tenth event, then 200.
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        everything.Respond = r => r.EventId.EndsWith('7') && seen.AddOrUpdate(r.WebhookId, 1, (_, n) => n + 1) == 1 ? 500 : null;

        var secrets = new Dictionary<TestReceiver, string>
        {
            [redeemedOnly] = await CreateEndpointAsync(api, redeemedOnly, ["reward.redeemed"]),
            [redeemedAndReversed] = await CreateEndpointAsync(api, redeemedAndReversed, ["reward.redeemed", "reward.redemption_reversed"]),
            [everything] = await CreateEndpointAsync(api, everything, []),
        };

        var events = Enumerable.Range(0, 200)
            .Select(i => (Index: i, Id: $"evt_{run}_{i:000}", Type: Types[i % 3], User: $"user_{run}_{i % 20:00}"))
            .ToList();
        foreach (var e in events)
        {
            await PublishAsync(api, e.Index, e.Id, e.Type, e.User);
        }

        // The same event again: it must not fan out a second time.
        await PublishAsync(api, events[0].Index, events[0].Id, events[0].Type, events[0].User);

        var expected = new Dictionary<TestReceiver, HashSet<string>>
        {
            [redeemedOnly] = events.Where(e => e.Type == "reward.redeemed").Select(e => e.Id).ToHashSet(),
            [redeemedAndReversed] = events.Where(e => e.Type != "reward.redemption_failed").Select(e => e.Id).ToHashSet(),
            [everything] = events.Select(e => e.Id).ToHashSet(),
        };

        await Eventually.UntilAsync(
            async () =>
            {
                if (expected.Any(x => x.Key.Delivered().Count < x.Value.Count))
                {
                    return false;
                }

                foreach (var e in events)
                {
                    var status = await api.GetFromJsonAsync<JsonElement>($"/v1/events/{e.Id}");
                    if (status.GetProperty("status").GetString() != "completed")
                    {
                        return false;
                    }
                }

                return true;
            },
            deadline, "every receiver gets its events and every event completes");

        foreach (var (receiver, ids) in expected)
        {
            var delivered = receiver.Delivered();
            Assert.Equal(ids.Order(), delivered.Select(r => r.EventId).Order());
            // Exactly one successful POST per event: the duplicate did not fan out again.
            Assert.Equal(ids.Count, receiver.Requests.Count(r => r.AnsweredWith == 200));

            var verifier = new WebhookVerifier([WebhookSecret.Parse(secrets[receiver])]);
            foreach (var request in receiver.Requests)
            {
                verifier.Verify(request.Headers, request.Body);
            }

            // Per-user order: each user's deliveries to this endpoint arrived in increasing sequence.
            foreach (var user in delivered.GroupBy(r => r.UserId))
            {
                var sequences = user.OrderBy(r => r.At).Select(r => r.Sequence).ToList();
                Assert.Equal(sequences.Order(), sequences);
                Assert.Equal(sequences.Count, sequences.Distinct().Count());
            }
        }

        // Each user's ten events got the sequence numbers 1..10, one each, whatever path they came by.
        foreach (var user in everything.Delivered().GroupBy(r => r.UserId))
        {
            Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), user.Select(r => r.Sequence).Order());
        }

        // A 500 then a 200: the receiver saw the same webhook-id twice.
        var retried = everything.Requests.Where(r => r.EventId.EndsWith('7')).GroupBy(r => r.WebhookId).ToList();
        Assert.NotEmpty(retried);
        Assert.All(retried, g => Assert.Equal([500, 200], g.OrderBy(r => r.At).Select(r => r.AnsweredWith)));

        // The status API tells the story of one event.
        var sample = await api.GetFromJsonAsync<JsonElement>($"/v1/events/{events[7].Id}");
        var deliveries = sample.GetProperty("deliveries").EnumerateArray().ToList();
        Assert.Single(deliveries);
        Assert.Equal("delivered", deliveries[0].GetProperty("status").GetString());
        Assert.Equal(2, deliveries[0].GetProperty("attempts").GetInt32());
    }

    private static async Task<string> CreateEndpointAsync(HttpClient api, TestReceiver receiver, string[] types)
    {
        using var response = await api.PostAsJsonAsync("/v1/endpoints", new Dictionary<string, object> { ["url"] = receiver.Url, ["event_types"] = types });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var secret = body.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        return secret;
    }
}
