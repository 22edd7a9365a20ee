using Microsoft.EntityFrameworkCore;
using RewardEvents.Persistence;

namespace RewardEvents.IntegrationTests.Persistence;

/// <summary>Writes a delivery and reads it back through the provider, timestamps and enums included.</summary>
internal static class DeliveryRoundTrip
{
    public static async Task AssertAsync(RewardEventsDbContext db)
    {
        var created = new DateTime(2026, 5, 5, 10, 0, 0, DateTimeKind.Utc);
        var delivery = new Delivery
        {
            Id = Guid.NewGuid(), RoutingId = Guid.NewGuid(), EventId = "evt_rt", EventType = "reward.redeemed", EndpointId = "ep_rt",
            UserId = "user_rt", Sequence = 7, WebhookId = "msg_rt", Status = DeliveryStatus.Retrying, CreatedAt = created,
            NextAttemptAt = created.AddSeconds(5),
        };
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();

        var read = await db.Deliveries.SingleAsync(d => d.Id == delivery.Id && d.NextAttemptAt <= created.AddSeconds(5));
        Assert.Equal(DeliveryStatus.Retrying, read.Status);
        Assert.Equal(created, read.CreatedAt);
        Assert.Equal(DateTimeKind.Utc, read.CreatedAt.Kind);
        Assert.Equal(7, read.Sequence);
    }
}
