using System.Globalization;
using MassTransit;
using RewardEvents.Contracts;

namespace RewardEvents.Fleet.Workers;

/// <summary>Raises the fleet's own events, which the router fans out to endpoints that subscribe to them.</summary>
internal static class OperationalEvents
{
    public static Task PublishAsync(IPublishEndpoint publisher, string eventType, string endpointId, string? reason, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var data = new Dictionary<string, string>(StringComparer.Ordinal) { ["endpoint_id"] = endpointId };
        if (reason is not null)
        {
            data["reason"] = reason;
        }

        return publisher.Publish(new FleetEventRaised
        {
            EventId = string.Create(CultureInfo.InvariantCulture, $"op_{eventType}_{endpointId}_{now.ToUnixTimeMilliseconds()}"),
            EventType = eventType,
            EndpointId = endpointId,
            OccurredAt = now,
            Data = data,
        }, cancellationToken);
    }

    public static Task PublishDeadLetteredAsync(
        IPublishEndpoint publisher, Persistence.Delivery delivery, string error, CancellationToken cancellationToken) =>
        publisher.Publish(new FleetEventRaised
        {
            EventId = $"op_dead_lettered_{delivery.Id:N}",
            EventType = Routing.EventTypes.DeliveryDeadLettered,
            EndpointId = delivery.EndpointId,
            OccurredAt = DateTimeOffset.UtcNow,
            Data = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["endpoint_id"] = delivery.EndpointId,
                ["delivery_id"] = delivery.Id.ToString(),
                ["original_event_id"] = delivery.EventId,
                ["original_event"] = delivery.EventType,
                ["attempts"] = delivery.AttemptCount.ToString(CultureInfo.InvariantCulture),
                ["last_error"] = error,
            },
        }, cancellationToken);
}
