using MassTransit;
using RewardEvents.Contracts;

namespace RewardEvents.Fleet.Messaging;

/// <summary>
/// Sends to the consistent-hash exchange with the user id as routing key, so one user's deliveries
/// always land on the same partition queue.
/// </summary>
internal sealed class RabbitMqDeliveryDispatcher : IDeliveryDispatcher
{
    private static readonly Uri Address = new($"exchange:{DeliveryTopology.Exchange}?type=x-consistent-hash&durable=true");

    public async Task DispatchAsync(ISendEndpointProvider sender, DeliverWebhook command, CancellationToken cancellationToken)
    {
        var endpoint = await sender.GetSendEndpoint(Address);
        await endpoint.Send(command, context => context.SetRoutingKey(command.UserId), cancellationToken);
    }
}
