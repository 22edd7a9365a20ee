using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RewardEvents.Contracts;
using RewardEvents.Fleet.Messaging;

namespace RewardEvents.Fleet.Workers;

/// <summary>
/// Attempts every delivery of a <see cref="DeliverWebhookBatch"/> side by side, each in its own scope and
/// its own (endpoint, user) turn, exactly as its own <see cref="DeliverWebhook"/> would be: a slow endpoint
/// delays only its own delivery, not its neighbours' (the message is acknowledged when all are done, but
/// nothing waits on that). A delivery whose attempt fails goes back to its partition as a plain command,
/// with the retries of its own; the others, done, are not run again.
/// </summary>
internal sealed partial class DeliverWebhookBatchConsumer(
    IServiceScopeFactory scopes, DeliveryTurns turns, IDeliveryDispatcher dispatcher, ILogger<DeliverWebhookBatchConsumer> logger)
    : IConsumer<DeliverWebhookBatch>
{
    public async Task Consume(ConsumeContext<DeliverWebhookBatch> context)
    {
        var deliveries = context.Message.Deliveries ?? [];
        var failures = await Task.WhenAll(deliveries.Select(d => AttemptAsync(d, context)));
        context.CancellationToken.ThrowIfCancellationRequested(); // stopping: the whole message comes back

        for (var i = 0; i < deliveries.Count; i++)
        {
            if (failures[i] is { } failure)
            {
                LogSentBack(deliveries[i].DeliveryId, failure);
                await dispatcher.DispatchAsync(context, deliveries[i], context.CancellationToken);
            }
        }
    }

    /// <summary>Null when the delivery was handled; else what went wrong.</summary>
    private async Task<Exception?> AttemptAsync(DeliverWebhook command, ConsumeContext context)
    {
        try
        {
            using var turn = await turns.TakeAsync(command.EndpointId, command.UserId, context.CancellationToken);
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<IDeliveryProcessor>().ProcessAsync(command, context);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery {DeliveryId} of a batch failed; sent back to its partition on its own")]
    private partial void LogSentBack(Guid deliveryId, Exception exception);
}
