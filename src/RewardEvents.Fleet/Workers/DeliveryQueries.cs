using Microsoft.EntityFrameworkCore;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Workers;

internal static class DeliveryQueries
{
    /// <summary>The ordering guard: is an earlier delivery for the same endpoint and user not yet final?</summary>
    public static Task<bool> HasUnfinishedPredecessorAsync(this IQueryable<Delivery> deliveries, Delivery delivery, CancellationToken cancellationToken) =>
        deliveries.AnyAsync(d => d.EndpointId == delivery.EndpointId && d.UserId == delivery.UserId
            && d.Sequence < delivery.Sequence
            && d.Status != DeliveryStatus.Delivered && d.Status != DeliveryStatus.DeadLettered, cancellationToken);
}
