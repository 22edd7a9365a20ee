using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;
using RewardEvents.Contracts;

namespace RewardEvents.UnitTests.Contracts;

/// <summary>
/// Pins each message's wire identity and JSON shape: renaming, moving or reshaping a contract breaks
/// every producer and consumer already deployed, so it must fail a test first.
/// </summary>
public sealed class ContractTests
{
    // MassTransit writes decimals as JSON strings, so no precision is lost on the wire.
    private const string RewardShape = "amount:String currency:String eventId:String metadata:Object occurredAt:String rewardId:String status:String userId:String";

    public static TheoryData<Type, object, string> Pinned => new()
    {
        { typeof(RewardRedeemed), Reward<RewardRedeemed>(), RewardShape },
        { typeof(RewardRedemptionFailed), Reward<RewardRedemptionFailed>(), RewardShape },
        { typeof(RewardRedemptionReversed), Reward<RewardRedemptionReversed>(), RewardShape },
        {
            typeof(DeliverWebhook),
            new DeliverWebhook { DeliveryId = Guid.NewGuid(), EventId = "evt_1", EndpointId = "ep_1", UserId = "user_1", Sequence = 3 },
            "deliveryId:String endpointId:String eventId:String sequence:Number userId:String"
        },
        {
            typeof(DeliverWebhookBatch),
            new DeliverWebhookBatch
            {
                Deliveries = [new DeliverWebhook { DeliveryId = Guid.NewGuid(), EventId = "evt_1", EndpointId = "ep_1", UserId = "user_1", Sequence = 3 }],
            },
            "deliveries:Array"
        },
        {
            typeof(WebhookDelivered),
            new WebhookDelivered { DeliveryId = Guid.NewGuid(), EventId = "evt_1", EndpointId = "ep_1", Attempts = 2, DeliveredAt = DateTimeOffset.UtcNow },
            "attempts:Number deliveredAt:String deliveryId:String endpointId:String eventId:String"
        },
        {
            typeof(WebhookDeliveryDeadLettered),
            new WebhookDeliveryDeadLettered
            {
                DeliveryId = Guid.NewGuid(), EventId = "evt_1", EndpointId = "ep_1", UserId = "user_1", Attempts = 8,
                LastError = "http_500", DeadLetteredAt = DateTimeOffset.UtcNow,
            },
            "attempts:Number deadLetteredAt:String deliveryId:String endpointId:String eventId:String lastError:String userId:String"
        },
        {
            typeof(FleetEventRaised),
            new FleetEventRaised
            {
                EventId = "op_1", EventType = "endpoint.disabled", EndpointId = "ep_1", OccurredAt = DateTimeOffset.UtcNow,
                Data = new Dictionary<string, string> { ["reason"] = "gone" },
            },
            "data:Object endpointId:String eventId:String eventType:String occurredAt:String"
        },
        {
            typeof(TestWebhookRequested),
            new TestWebhookRequested
            {
                EventId = "evt_test_1", EventType = "reward.redeemed", EndpointId = "ep_1", DeliveryId = Guid.NewGuid(),
                RequestedAt = DateTimeOffset.UtcNow,
            },
            "deliveryId:String endpointId:String eventId:String eventType:String requestedAt:String"
        },
    };

    [Theory]
    [MemberData(nameof(Pinned))]
    public void Each_message_keeps_its_wire_identity(Type type, object sample, string shape)
    {
        _ = sample;
        _ = shape;
        Assert.Equal($"urn:message:RewardEvents.Contracts:{type.Name}", MessageUrn.ForTypeString(type));
        Assert.Equal("RewardEvents.Contracts", type.Namespace);
    }

    [Theory]
    [MemberData(nameof(Pinned))]
    public void Each_message_keeps_its_json_shape(Type type, object sample, string shape)
    {
        var json = JsonSerializer.SerializeToElement(sample, type, SystemTextJsonMessageSerializer.Options);
        var actual = string.Join(' ', json.EnumerateObject().Select(p => $"{p.Name}:{p.Value.ValueKind}").Order(StringComparer.Ordinal));
        Assert.Equal(shape, actual);
    }

    [Fact]
    public void Every_public_message_type_is_pinned()
    {
        var pinned = Pinned.Select(row => row.Data.Item1).ToHashSet();
        var messages = typeof(RewardEvent).Assembly.GetExportedTypes().Where(t => !t.IsAbstract).ToList();
        Assert.All(messages, t => Assert.Contains(t, pinned));
        Assert.Equal(messages.Count, pinned.Count);
    }

    [Fact]
    public void The_contracts_package_depends_on_nothing_but_the_framework()
    {
        var references = typeof(RewardEvent).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.All(references, name => Assert.True(name.StartsWith("System", StringComparison.Ordinal) || name == "netstandard", name));
    }

    [Fact]
    public void A_reward_event_round_trips_through_the_masstransit_serializer()
    {
        var original = Reward<RewardRedeemed>();
        var json = JsonSerializer.Serialize(original, SystemTextJsonMessageSerializer.Options);
        var copy = JsonSerializer.Deserialize<RewardRedeemed>(json, SystemTextJsonMessageSerializer.Options)!;
        Assert.Equal(original.EventId, copy.EventId);
        Assert.Equal(original.Amount, copy.Amount);
        Assert.Equal(original.OccurredAt, copy.OccurredAt);
        Assert.Equal(original.Metadata!["channel"], copy.Metadata!["channel"]);
    }

    private static T Reward<T>()
        where T : RewardEvent =>
        JsonSerializer.Deserialize<T>(
            """{"eventId":"evt_12345","userId":"user_678","rewardId":"reward_999","amount":500.25,"currency":"INR","status":"success","occurredAt":"2026-05-05T10:00:00+00:00","metadata":{"channel":"app"}}""",
            SystemTextJsonMessageSerializer.Options)!;
}
