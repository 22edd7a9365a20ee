namespace RewardEvents.Contracts;

/// <summary>
/// An operational event of the fleet itself (<c>delivery.dead_lettered</c>, <c>endpoint.disabled</c>,
/// <c>endpoint.recovered</c>), routed to subscribed endpoints like any reward event.
/// </summary>
public sealed record FleetEventRaised
{
    /// <summary>A deterministic id, so a duplicate of the same occurrence fans out once.</summary>
    public required string EventId { get; init; }

    /// <summary>The operational event type, e.g. <c>endpoint.disabled</c>.</summary>
    public required string EventType { get; init; }

    /// <summary>The endpoint the event is about; also its ordering key.</summary>
    public required string EndpointId { get; init; }

    /// <summary>When it happened.</summary>
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>Details passed to receivers, e.g. <c>delivery_id</c>, <c>reason</c>.</summary>
    public IReadOnlyDictionary<string, string>? Data { get; init; }
}
