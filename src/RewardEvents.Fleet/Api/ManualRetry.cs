using Microsoft.EntityFrameworkCore;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Api;

/// <summary>
/// An operator's "try this one again now": reopens a delivery for one more attempt, out of schedule, and its event with
/// it if the event had completed (the completion sweep completes it again once the delivery is final, as of then), so
/// neither the event's status nor retention takes the event as finished while the delivery is open.
/// </summary>
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
        if (reopened != 1)
        {
            return false;
        }

        await db.Routings.Where(r => r.CorrelationId == delivery.RoutingId && r.CurrentState == RoutingState.Completed)
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.CurrentState, RoutingState.Delivering)
                .SetProperty(r => r.FinalCount, 0)
                .SetProperty(r => r.CompletedAt, (DateTime?)null)
                .SetProperty(r => r.Version, r => r.Version + 1), cancellationToken);
        return true;
    }
}
