namespace RewardEvents.Contracts;

/// <summary>
/// An operator asked for a sample event to be sent to one endpoint only, through the whole pipeline.
/// The router routes it to that endpoint alone, as a delivery with the given id, marked as a test.
/// </summary>
public sealed record TestWebhookRequested
{
    /// <summary>The sample event's id (unique per request).</summary>
    public required string EventId { get; init; }

    /// <summary>The type of sample to send, e.g. <c>reward.redeemed</c>.</summary>
    public required string EventType { get; init; }

    /// <summary>The one endpoint it goes to.</summary>
    public required string EndpointId { get; init; }

    /// <summary>The delivery id the router gives it, known to the caller in advance.</summary>
    public required Guid DeliveryId { get; init; }

    /// <summary>When it was asked for.</summary>
    public required DateTimeOffset RequestedAt { get; init; }
}
