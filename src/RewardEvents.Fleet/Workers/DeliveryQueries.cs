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

    /// <summary>
    /// The same guard inside a query (a claim's conditional update): those of <paramref name="source"/> with
    /// no earlier delivery for the same endpoint and user among <paramref name="predecessors"/> not yet final.
    /// </summary>
    public static IQueryable<Delivery> WhoseTurnHasCome(this IQueryable<Delivery> source, IQueryable<Delivery> predecessors) =>
        source.Where(d => !predecessors.Any(p => p.EndpointId == d.EndpointId && p.UserId == d.UserId
            && p.Sequence < d.Sequence
            && p.Status != DeliveryStatus.Delivered && p.Status != DeliveryStatus.DeadLettered));
}
