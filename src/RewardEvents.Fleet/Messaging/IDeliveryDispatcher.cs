using MassTransit;
using RewardEvents.Contracts;

namespace RewardEvents.Fleet.Messaging;

/// <summary>Sends <see cref="DeliverWebhook"/> to the worker partition that owns the delivery's user.</summary>
public interface IDeliveryDispatcher
{
    Task DispatchAsync(ISendEndpointProvider sender, DeliverWebhook command, CancellationToken cancellationToken);
}
