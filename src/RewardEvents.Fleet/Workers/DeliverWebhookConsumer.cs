using MassTransit;
using RewardEvents.Contracts;

namespace RewardEvents.Fleet.Workers;

/// <summary>Attempts the delivery a <see cref="DeliverWebhook"/> points at, when its (endpoint, user) pair has its turn.</summary>
internal sealed class DeliverWebhookConsumer(IDeliveryProcessor processor, DeliveryTurns turns) : IConsumer<DeliverWebhook>
{
    public async Task Consume(ConsumeContext<DeliverWebhook> context)
    {
        var command = context.Message;
        using var turn = await turns.TakeAsync(command.EndpointId, command.UserId, context.CancellationToken);
        await processor.ProcessAsync(command, context);
    }
}
