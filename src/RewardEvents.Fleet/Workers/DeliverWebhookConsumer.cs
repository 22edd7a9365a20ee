using MassTransit;
using RewardEvents.Contracts;

namespace RewardEvents.Fleet.Workers;

/// <summary>Attempts the delivery a <see cref="DeliverWebhook"/> points at.</summary>
internal sealed class DeliverWebhookConsumer(DeliveryProcessor processor) : IConsumer<DeliverWebhook>
{
    public Task Consume(ConsumeContext<DeliverWebhook> context) => processor.ProcessAsync(context.Message, context);
}
