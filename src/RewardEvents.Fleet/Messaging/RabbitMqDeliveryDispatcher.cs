using MassTransit;

namespace RewardEvents.Fleet.Messaging;

/// <summary>
/// Sends to the consistent-hash exchange with the user id as routing key, so one user's deliveries
/// always land on the same partition queue.
/// </summary>
internal sealed class RabbitMqDeliveryDispatcher : DeliveryDispatcher
{
    private static readonly Uri Address = new($"exchange:{DeliveryTopology.Exchange}?type=x-consistent-hash&durable=true");

    protected override async Task SendAsync<T>(ISendEndpointProvider sender, T message, string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sender);
        var endpoint = await sender.GetSendEndpoint(Address);
        await endpoint.Send(message, context => context.SetRoutingKey(userId), cancellationToken);
    }
}
