namespace RewardEvents.Contracts;

/// <summary>
/// A delivery reached its endpoint: the endpoint answered 2xx. The workers publish one per successful delivery when
/// they run with <c>Delivery:PublishDeliveredEvents=true</c> (off by default).
/// </summary>
public sealed record WebhookDelivered
{
    /// <summary>The delivery.</summary>
    public required Guid DeliveryId { get; init; }

    /// <summary>The event that was delivered.</summary>
    public required string EventId { get; init; }

    /// <summary>The endpoint that received it.</summary>
    public required string EndpointId { get; init; }

    /// <summary>How many attempts it took, the successful one included.</summary>
    public required int Attempts { get; init; }

    /// <summary>When the endpoint answered.</summary>
    public required DateTimeOffset DeliveredAt { get; init; }
}
