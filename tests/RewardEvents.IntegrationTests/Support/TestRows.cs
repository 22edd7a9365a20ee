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

    /// <summary>A delivery of its own event, not yet attempted if pending (due for redispatch 30 s on), attempted once otherwise.</summary>
    public static Delivery Delivery(string endpointId, string userId, long sequence, DeliveryStatus status, DateTime createdAt) => new()
    {
        Id = Guid.NewGuid(),
        RoutingId = Guid.NewGuid(),
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
}
