namespace RewardEvents.Contracts;

/// <summary>
/// Command to the delivery workers: attempt several deliveries that share one partition key (the user),
/// typically one event's fan-out to every endpoint that matched it. One broker message instead of one per
/// endpoint; a worker attempts the deliveries independently, each as a <see cref="DeliverWebhook"/> would be.
/// Like that command it only says "look at these now": the deliveries' state lives in the fleet's database.
/// </summary>
public sealed record DeliverWebhookBatch
{
    /// <summary>The deliveries, all for the same user.</summary>
    public required IReadOnlyList<DeliverWebhook> Deliveries { get; init; }
}
