namespace RewardEvents.Contracts;

/// <summary>
/// The fields every reward event carries. Publish one of the concrete events, never this type.
/// </summary>
/// <remarks>
/// Renaming or removing a field here changes the wire shape of every reward event.
/// </remarks>
public abstract record RewardEvent
{
    /// <summary>The producer's unique id of this event, e.g. <c>evt_12345</c>. Duplicates are fanned out once.</summary>
    public required string EventId { get; init; }

    /// <summary>The user the event concerns. Deliveries for one user reach each endpoint in order.</summary>
    public required string UserId { get; init; }

    /// <summary>The reward involved, e.g. <c>reward_999</c>.</summary>
    public required string RewardId { get; init; }

    /// <summary>The amount, in major units of <see cref="Currency"/>.</summary>
    public required decimal Amount { get; init; }

    /// <summary>ISO 4217 currency code, e.g. <c>INR</c>.</summary>
    public required string Currency { get; init; }

    /// <summary>The producer's status of the redemption, e.g. <c>success</c>.</summary>
    public required string Status { get; init; }

    /// <summary>When it happened, in UTC.</summary>
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>Optional producer-defined string metadata, passed through to receivers.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}
