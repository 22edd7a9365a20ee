using MassTransit;

namespace RewardEvents.Fleet.Messaging;

/// <summary>The embedded transport has one delivery queue; per-user order comes from the worker's turns and the database guard.</summary>
internal sealed class InMemoryDeliveryDispatcher : DeliveryDispatcher
{
    private static readonly Uri Address = new($"queue:{DeliveryTopology.InMemoryQueue}");

    protected override async Task SendAsync<T>(ISendEndpointProvider sender, T message, string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sender);
        var endpoint = await sender.GetSendEndpoint(Address);
        await endpoint.Send(message, cancellationToken);
    }
}
