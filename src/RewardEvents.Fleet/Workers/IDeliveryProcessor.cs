using MassTransit;
using RewardEvents.Contracts;

namespace RewardEvents.Fleet.Workers;

/// <summary>Does what a delivery's state calls for when a command points at it: usually its attempt.</summary>
internal interface IDeliveryProcessor
{
    Task ProcessAsync(DeliverWebhook command, ConsumeContext context);
}
