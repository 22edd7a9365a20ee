using RewardEvents.Contracts;
using RewardEvents.Fleet.Routing;
using System.Text.Json;

namespace RewardEvents.UnitTests.Fleet;

public sealed class EventIdentityTests
{
    [Fact]
    public void The_same_event_id_always_maps_to_the_same_saga_and_different_ids_do_not()
    {
        Assert.Equal(EventIdentity.IdFor("evt_12345"), EventIdentity.IdFor("evt_12345"));
        Assert.NotEqual(EventIdentity.IdFor("evt_12345"), EventIdentity.IdFor("evt_12346"));
        // Pinned: changing the derivation would make in-flight duplicates fan out twice after an upgrade.
        Assert.Equal(Guid.Parse("e4644b84-4664-5f9a-bd24-b1718981dc57"), EventIdentity.IdFor("evt_12345"));
        Assert.StartsWith("msg_", EventIdentity.WebhookIdFor(EventIdentity.IdFor("evt_1")), StringComparison.Ordinal);
    }

    [Fact]
    public void The_payload_is_the_ingest_shape_in_snake_case_plus_the_sequence()
    {
        var message = new RewardRedeemed
        {
            EventId = "evt_12345", UserId = "user_678", RewardId = "reward_999", Amount = 500, Currency = "INR",
            Status = "success", OccurredAt = new DateTimeOffset(2026, 5, 5, 10, 0, 0, TimeSpan.Zero),
            Metadata = new Dictionary<string, string> { ["channel"] = "app" },
        };
        var json = JsonDocument.Parse(EventPayload.For(message, 7)).RootElement;
        Assert.Equal("reward.redeemed", json.GetProperty("event").GetString());
        Assert.Equal("evt_12345", json.GetProperty("event_id").GetString());
        Assert.Equal("user_678", json.GetProperty("user_id").GetString());
        Assert.Equal("reward_999", json.GetProperty("reward_id").GetString());
        Assert.Equal(500m, json.GetProperty("amount").GetDecimal());
        Assert.Equal("INR", json.GetProperty("currency").GetString());
        Assert.Equal("success", json.GetProperty("status").GetString());
        Assert.Equal("2026-05-05T10:00:00Z", json.GetProperty("timestamp").GetString());
        Assert.Equal("app", json.GetProperty("metadata").GetProperty("channel").GetString());
        Assert.Equal(7, json.GetProperty("sequence").GetInt64());
    }
}
