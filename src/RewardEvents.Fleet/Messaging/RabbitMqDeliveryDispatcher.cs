using MassTransit;
using Microsoft.Extensions.Options;

namespace RewardEvents.Fleet.Messaging;

/// <summary>
/// Sends to the consistent-hash exchange with the user id as routing key, so one user's deliveries
/// always land on the same partition queue. The messages are transient unless
/// <see cref="DeliveryOptions.PersistentDispatch"/> says otherwise: the database, not the broker, holds the delivery.
/// </summary>
internal sealed class RabbitMqDeliveryDispatcher(IOptions<DeliveryOptions> options) : DeliveryDispatcher
{
    private static readonly Uri Address = new($"exchange:{DeliveryTopology.Exchange}?type=x-consistent-hash&durable=true");

    private readonly bool _persistent = options.Value.PersistentDispatch;

    protected override async Task SendAsync<T>(ISendEndpointProvider sender, T message, string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sender);
        var endpoint = await sender.GetSendEndpoint(Address);
        await endpoint.Send(message, context =>
        {
            context.SetRoutingKey(userId);
            context.Durable = _persistent;
        }, cancellationToken);
    }
}
