namespace RewardEvents.Contracts;

/// <summary>
/// Command to the delivery workers: attempt one delivery of one event to one endpoint.
/// The delivery's state lives in the fleet's database; this message only says "look at it now",
/// so duplicates and redeliveries are harmless.
/// </summary>
public sealed record DeliverWebhook
{
    /// <summary>The delivery to attempt.</summary>
    public required Guid DeliveryId { get; init; }

    /// <summary>The event being delivered.</summary>
    public required string EventId { get; init; }

    /// <summary>The endpoint it goes to.</summary>
    public required string EndpointId { get; init; }

    /// <summary>The user the event concerns; the partition key for per-user ordering.</summary>
    public required string UserId { get; init; }

    /// <summary>The user's sequence number of the event, assigned by the router.</summary>
    public required long Sequence { get; init; }
}
