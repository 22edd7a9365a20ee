using MassTransit;
using RewardEvents.Contracts;

namespace RewardEvents.Fleet.Messaging;

/// <summary>Sends <see cref="DeliverWebhook"/> to the worker partition that owns the delivery's user.</summary>
public interface IDeliveryDispatcher
{
    Task DispatchAsync(ISendEndpointProvider sender, DeliverWebhook command, CancellationToken cancellationToken);

    /// <summary>
    /// Sends several deliveries with as few messages as their users allow: one <see cref="DeliverWebhookBatch"/>
    /// per user (of at most <see cref="DeliveryDispatcher.MaxBatch"/>), a lone delivery as a plain command.
    /// </summary>
    Task DispatchAsync(ISendEndpointProvider sender, IReadOnlyList<DeliverWebhook> commands, CancellationToken cancellationToken);
}
