using Microsoft.EntityFrameworkCore;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Workers;

internal static class DeliveryQueries
{
    /// <summary>The ordering guard: is an earlier delivery for the same endpoint and user not yet final?</summary>
    public static Task<bool> HasUnfinishedPredecessorAsync(this IQueryable<Delivery> deliveries, Delivery delivery, CancellationToken cancellationToken) =>
        deliveries.UnfinishedPredecessors(delivery).AnyAsync(cancellationToken);

    /// <summary>The earlier deliveries for the same endpoint and user not yet final (what the ordering guard asks about).</summary>
    public static IQueryable<Delivery> UnfinishedPredecessors(this IQueryable<Delivery> deliveries, Delivery delivery) =>
        deliveries.Where(d => d.EndpointId == delivery.EndpointId && d.UserId == delivery.UserId
            && d.Sequence < delivery.Sequence
            && d.Status != DeliveryStatus.Delivered && d.Status != DeliveryStatus.DeadLettered);

    /// <summary>
    /// The same guard inside a query (a claim's conditional update): those of <paramref name="source"/> whose
    /// endpoint is not among <paramref name="orderedEndpoints"/>, or with no earlier delivery for the same
    /// endpoint and user among <paramref name="deliveries"/> not yet final. Written as an OR of two NOT EXISTS
    /// so the database asks both per claimed row, by index, rather than turning them into joins whose plan
    /// hangs on its statistics (with stale ones PostgreSQL scanned every open delivery once per claim).
    /// </summary>
    public static IQueryable<Delivery> WhoseTurnHasCome(
        this IQueryable<Delivery> source, IQueryable<Delivery> deliveries, IQueryable<WebhookEndpoint> orderedEndpoints) =>
        source.Where(d => !orderedEndpoints.Any(e => e.Id == d.EndpointId)
            || !deliveries.Any(p => p.EndpointId == d.EndpointId && p.UserId == d.UserId
                && p.Sequence < d.Sequence
                && p.Status != DeliveryStatus.Delivered && p.Status != DeliveryStatus.DeadLettered));
}
