using RewardEvents.Contracts;

namespace RewardEvents.Fleet.Routing;

/// <summary>What the router needs of any routable message: identity, type, ordering key and body.</summary>
internal sealed record RoutingInput(string EventId, string EventType, string UserId, Func<long, string> Payload)
{
    public static RoutingInput From(object message) => message switch
    {
        RewardEvent reward => new(reward.EventId, EventTypes.Of(reward), reward.UserId, sequence => EventPayload.For(reward, sequence)),
        // Operational events are ordered per endpoint they concern.
        FleetEventRaised fleet => new(fleet.EventId, fleet.EventType, "endpoint:" + fleet.EndpointId, sequence => EventPayload.For(fleet, sequence)),
        _ => throw new ArgumentOutOfRangeException(nameof(message), message.GetType().Name, "Not a routable message."),
    };
}
