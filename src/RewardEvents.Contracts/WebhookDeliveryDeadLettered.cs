namespace RewardEvents.Contracts;

/// <summary>
/// A delivery exhausted its retry schedule (or its endpoint was disabled) and will not be attempted
/// again unless an operator retries it. Every attempt stays on record.
/// </summary>
public sealed record WebhookDeliveryDeadLettered
{
    /// <summary>The delivery.</summary>
    public required Guid DeliveryId { get; init; }

    /// <summary>The event that could not be delivered.</summary>
    public required string EventId { get; init; }

    /// <summary>The endpoint that did not take it.</summary>
    public required string EndpointId { get; init; }

    /// <summary>The user the event concerns.</summary>
    public required string UserId { get; init; }

    /// <summary>How many attempts were made.</summary>
    public required int Attempts { get; init; }

    /// <summary>The last attempt's outcome, e.g. <c>http_500</c> or <c>timeout</c>.</summary>
    public required string LastError { get; init; }

    /// <summary>When the delivery was given up.</summary>
    public required DateTimeOffset DeadLetteredAt { get; init; }
}
