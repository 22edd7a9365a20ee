using RewardEvents.Contracts;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Workers;

internal static class DeliveryCommands
{
    public static DeliverWebhook For(Delivery delivery) =>
        For(delivery.Id, delivery.EventId, delivery.EndpointId, delivery.UserId, delivery.Sequence);

    /// <summary>The command for a delivery known only by the fields it carries (read without the whole row).</summary>
    public static DeliverWebhook For(Guid deliveryId, string eventId, string endpointId, string userId, long sequence) => new()
    {
        DeliveryId = deliveryId,
        EventId = eventId,
        EndpointId = endpointId,
        UserId = userId,
        Sequence = sequence,
    };
}
