using Microsoft.EntityFrameworkCore;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Api;

/// <summary>An operator's "try this one again now": reopens a delivery for one more attempt, out of schedule.</summary>
internal static class ManualRetry
{
    public static async Task<bool> ReopenAsync(RewardEventsDbContext db, Delivery delivery, DateTime now, CancellationToken cancellationToken)
    {
        var reopened = await db.Deliveries
            .Where(d => d.Id == delivery.Id && d.Status != DeliveryStatus.Delivered && d.Status != DeliveryStatus.InFlight)
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, DeliveryStatus.Retrying)
                .SetProperty(d => d.ManualRetry, true)
                .SetProperty(d => d.NextAttemptAt, now)
                .SetProperty(d => d.FinalAt, (DateTime?)null), cancellationToken);
        return reopened == 1;
    }
}
