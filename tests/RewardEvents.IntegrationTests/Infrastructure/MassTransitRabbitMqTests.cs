using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Infrastructure;

public sealed class MassTransitRabbitMqTests(RabbitMqBroker broker)
{
    [Fact]
    public async Task A_published_message_is_consumed_through_the_real_broker()
    {
        var vhost = await broker.CreateVirtualHostAsync("mt-roundtrip");
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<ReceivedPings>();
        // Not AddMassTransitTestHarness: it registers the delayed-message scheduler, whose
        // exchange type Debian's RabbitMQ lacks.
        builder.Services.AddMassTransit(x =>
        {
            x.AddConsumer<InfrastructurePingConsumer>();
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(new Uri(vhost.AmqpUri));
                cfg.ConfigureEndpoints(context);
            });
        });
        // Publish only once the consumer's queue is bound, or the ping goes to an exchange with no queue.
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(o => o.WaitUntilStarted = true);
        using var host = builder.Build();
        var cancellation = TestContext.Current.CancellationToken;
        await host.StartAsync(cancellation);
        try
        {
            var id = Guid.NewGuid();
            await host.Services.GetRequiredService<IBus>().Publish(new InfrastructurePing(id), cancellation);

            var received = host.Services.GetRequiredService<ReceivedPings>();
            var inputPath = await Eventually.UntilAsync(
                () => Task.FromResult(received.ById.TryGetValue(id, out var path) ? path ?? "" : null),
                TimeSpan.FromSeconds(30),
                "the consumer to receive the published ping",
                cancellation);
            Assert.StartsWith($"/{vhost.VirtualHost}/", inputPath, StringComparison.Ordinal);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
