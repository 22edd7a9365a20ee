using MassTransit;

namespace RewardEvents.IntegrationTests.Infrastructure;

public sealed class InfrastructurePingConsumer(ReceivedPings received) : IConsumer<InfrastructurePing>
{
    public Task Consume(ConsumeContext<InfrastructurePing> context)
    {
        // The vhost the message arrived on proves it came through the broker, not an in-memory shortcut.
        received.ById[context.Message.Id] = context.ReceiveContext.InputAddress?.AbsolutePath;
        return Task.CompletedTask;
    }
}
