using MassTransit;
using RewardEvents.Contracts;

namespace RewardEvents.Fleet.Messaging;

/// <summary>The embedded transport has one delivery queue; per-user order comes from the partitioner and the database guard.</summary>
internal sealed class InMemoryDeliveryDispatcher : IDeliveryDispatcher
{
    private static readonly Uri Address = new($"queue:{DeliveryTopology.InMemoryQueue}");

    public async Task DispatchAsync(ISendEndpointProvider sender, DeliverWebhook command, CancellationToken cancellationToken)
    {
        var endpoint = await sender.GetSendEndpoint(Address);
        await endpoint.Send(command, cancellationToken);
    }
}
