namespace RewardEvents.Persistence;

/// <summary>One event on its way to one endpoint, from routing to a final state.</summary>
public sealed class Delivery
{
    public required Guid Id { get; init; }
    public required Guid RoutingId { get; init; }
    public required string EventId { get; init; }
    public required string EventType { get; init; }
    public required string EndpointId { get; init; }
    public required string UserId { get; init; }
    public required long Sequence { get; init; }

    /// <summary>The Standard Webhooks <c>webhook-id</c>: the same for every attempt.</summary>
    public required string WebhookId { get; init; }

    public DeliveryStatus Status { get; set; }
    public int AttemptCount { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime? NextAttemptAt { get; set; }
    public DateTime? LeaseUntil { get; set; }
    public DateTime? FinalAt { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }

    /// <summary>The W3C trace context the event was routed under, so a retry hours later links back to it.</summary>
    public string? TraceParent { get; init; }

    /// <summary>Set when an operator asked for this delivery to be tried again out of schedule.</summary>
    public bool ManualRetry { get; set; }

    /// <summary>A test event sent on request to this one endpoint; it carries a <c>webhook-test</c> header.</summary>
    public bool Test { get; init; }

    public bool IsFinal => Status is DeliveryStatus.Delivered or DeliveryStatus.DeadLettered;
}
