using RewardEvents.Contracts;
using RewardEvents.Fleet.Routing.Triggers;

namespace RewardEvents.Fleet.Routing;

/// <summary>What the router needs of any routable message: identity, type, ordering key, body and the fields triggers test.</summary>
internal sealed record RoutingInput(string EventId, string EventType, string UserId, Func<long, string> Payload, TriggerSubject Subject)
{
    /// <summary>Set for a test event: the one endpoint it goes to, whatever its subscriptions and trigger.</summary>
    public string? TargetEndpointId { get; init; }

    /// <summary>Set for a test event: the delivery id the API already told the caller.</summary>
    public Guid? DeliveryId { get; init; }

    public bool Test => TargetEndpointId is not null;

    public static RoutingInput From(object message) => message switch
    {
        RewardEvent reward => new(reward.EventId, EventTypes.Of(reward), reward.UserId, sequence => EventPayload.For(reward, sequence),
            TriggerSubject.For(reward)),
        // Operational events are ordered per endpoint they concern.
        FleetEventRaised fleet => new(fleet.EventId, fleet.EventType, "endpoint:" + fleet.EndpointId, sequence => EventPayload.For(fleet, sequence),
            TriggerSubject.For(fleet)),
        // Test events are ordered among themselves per endpoint, apart from every real user's events.
        TestWebhookRequested test => TestEvent(test),
        _ => throw new ArgumentOutOfRangeException(nameof(message), message.GetType().Name, "Not a routable message."),
    };

    private static RoutingInput TestEvent(TestWebhookRequested test)
    {
        var sample = SampleEvents.For(test);
        return new RoutingInput(test.EventId, test.EventType, "test:" + test.EndpointId, sample.Payload, sample.Subject)
        {
            TargetEndpointId = test.EndpointId,
            DeliveryId = test.DeliveryId,
        };
    }
}
