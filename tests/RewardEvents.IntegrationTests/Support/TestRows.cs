using RewardEvents.Persistence;

namespace RewardEvents.IntegrationTests.Support;

/// <summary>Rows as the fleet writes them, for tests that seed the database directly.</summary>
public static class TestRows
{
    /// <summary>A live endpoint (every event type, per-user order) at an address nothing listens on.</summary>
    public static WebhookEndpoint Endpoint(string id, DateTime createdAt, Action<WebhookEndpoint>? configure = null)
    {
        var endpoint = new WebhookEndpoint { Id = id, Url = $"http://127.0.0.1:9/{id}", Secrets = "whsec_x", CreatedAt = createdAt, EventTypes = "*" };
        configure?.Invoke(endpoint);
        return endpoint;
    }

    /// <summary>The routing row of an event being delivered (a new id and event id unless given).</summary>
    public static RoutingState Routing(string userId, long sequence, DateTime receivedAt, Guid? id = null, string? eventId = null) => new()
    {
        CorrelationId = id ?? Guid.NewGuid(), CurrentState = "Delivering", EventId = eventId ?? $"evt_{Guid.NewGuid():N}",
        EventType = "reward.redeemed", UserId = userId, Sequence = sequence, Payload = "{\"p\":1}", DeliveryCount = 1,
        ReceivedAt = receivedAt, Version = 1,
    };

    /// <summary>
    /// A delivery of its own event (or of <paramref name="routingId"/>'s), not yet attempted if pending (due for redispatch
    /// 30 s on), attempted once otherwise.
    /// </summary>
    public static Delivery Delivery(string endpointId, string userId, long sequence, DeliveryStatus status, DateTime createdAt, Guid? routingId = null) => new()
    {
        Id = Guid.NewGuid(),
        RoutingId = routingId ?? Guid.NewGuid(),
        EventId = $"evt_{userId}_{sequence}",
        EventType = "reward.redeemed",
        EndpointId = endpointId,
        UserId = userId,
        Sequence = sequence,
        WebhookId = $"msg_{userId}_{sequence}",
        Status = status,
        AttemptCount = status == DeliveryStatus.Pending ? 0 : 1,
        CreatedAt = createdAt,
        NextAttemptAt = status == DeliveryStatus.Pending ? createdAt.AddSeconds(30) : null,
    };

    /// <summary>
    /// A delivery with every mapped property set to something other than a new object's value (and not what the
    /// router writes), for tests that check a hand-written statement reads or writes every column.
    /// </summary>
    public static Delivery DeliveryWithEveryColumn(Guid id, Guid routingId, string eventId, string endpointId, string userId, long sequence, DateTime at) => new()
    {
        Id = id, RoutingId = routingId, EventId = eventId, EventType = "reward.redeemed", EndpointId = endpointId, UserId = userId,
        Sequence = sequence, WebhookId = $"msg_{eventId}", Status = DeliveryStatus.Retrying, AttemptCount = 2, CreatedAt = at,
        NextAttemptAt = at.AddSeconds(9), LeaseUntil = at.AddSeconds(10), FinalAt = at.AddSeconds(11), LastStatusCode = 503,
        LastError = "http_503", TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", ManualRetry = true, Test = true,
    };
}
