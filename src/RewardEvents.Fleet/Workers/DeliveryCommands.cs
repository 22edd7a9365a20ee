using RewardEvents.Contracts;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Workers;

internal static class DeliveryCommands
{
    public static DeliverWebhook For(Delivery delivery) => new()
    {
        DeliveryId = delivery.Id,
        EventId = delivery.EventId,
        EndpointId = delivery.EndpointId,
        UserId = delivery.UserId,
        Sequence = delivery.Sequence,
    };
}
