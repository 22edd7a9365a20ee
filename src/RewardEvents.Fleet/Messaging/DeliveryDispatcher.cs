using MassTransit;
using RewardEvents.Contracts;

namespace RewardEvents.Fleet.Messaging;

/// <summary>The grouping shared by the transports; each says only where a user's messages go.</summary>
public abstract class DeliveryDispatcher : IDeliveryDispatcher
{
    /// <summary>The most deliveries one batch message carries (an event matching more endpoints goes as several).</summary>
    public const int MaxBatch = 32;

    public Task DispatchAsync(ISendEndpointProvider sender, DeliverWebhook command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return SendAsync(sender, command, command.UserId, cancellationToken);
    }

    public async Task DispatchAsync(ISendEndpointProvider sender, IReadOnlyList<DeliverWebhook> commands, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commands);
        foreach (var user in commands.GroupBy(c => c.UserId, StringComparer.Ordinal))
        {
            foreach (var chunk in user.Chunk(MaxBatch))
            {
                await (chunk.Length == 1
                    ? SendAsync(sender, chunk[0], user.Key, cancellationToken)
                    : SendAsync(sender, new DeliverWebhookBatch { Deliveries = chunk }, user.Key, cancellationToken));
            }
        }
    }

    /// <summary>Sends one message for <paramref name="userId"/>'s partition.</summary>
    protected abstract Task SendAsync<T>(ISendEndpointProvider sender, T message, string userId, CancellationToken cancellationToken)
        where T : class;
}
