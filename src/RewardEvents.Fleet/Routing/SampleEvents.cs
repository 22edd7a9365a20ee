using RewardEvents.Contracts;
using RewardEvents.Fleet.Routing.Triggers;

namespace RewardEvents.Fleet.Routing;

/// <summary>The sample body of a test event of each type: plausible values, marked <c>"test": true</c>.</summary>
internal static class SampleEvents
{
    public static (Func<long, string> Payload, TriggerSubject Subject) For(TestWebhookRequested test)
    {
        ArgumentNullException.ThrowIfNull(test);
        if (EventTypes.IsOperational(test.EventType))
        {
            var fleet = new FleetEventRaised
            {
                EventId = test.EventId, EventType = test.EventType, EndpointId = test.EndpointId, OccurredAt = test.RequestedAt,
                Data = new Dictionary<string, string> { ["reason"] = "test event" },
            };
            return (sequence => EventPayload.For(fleet, sequence, test: true), TriggerSubject.For(fleet));
        }

        RewardEvent reward = test.EventType switch
        {
            EventTypes.RewardRedemptionFailed => new RewardRedemptionFailed
            {
                EventId = test.EventId, UserId = "user_test", RewardId = "reward_test", Amount = 100m, Currency = "INR",
                Status = "failed", OccurredAt = test.RequestedAt,
            },
            EventTypes.RewardRedemptionReversed => new RewardRedemptionReversed
            {
                EventId = test.EventId, UserId = "user_test", RewardId = "reward_test", Amount = 100m, Currency = "INR",
                Status = "reversed", OccurredAt = test.RequestedAt,
            },
            EventTypes.RewardRedeemed => new RewardRedeemed
            {
                EventId = test.EventId, UserId = "user_test", RewardId = "reward_test", Amount = 100m, Currency = "INR",
                Status = "success", OccurredAt = test.RequestedAt,
            },
            _ => throw new ArgumentException($"Unknown event type '{test.EventType}'.", nameof(test)),
        };
        return (sequence => EventPayload.For(reward, sequence, test: true), TriggerSubject.For(reward));
    }
}
