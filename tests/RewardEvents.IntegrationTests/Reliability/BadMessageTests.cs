using System.Text;
using MassTransit;
using RabbitMQ.Client;
using RewardEvents.Contracts;
using RewardEvents.Fleet;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Reliability;

/// <summary>Poison messages go to the error queue with their reason; they never block the queue or stop the host.</summary>
public sealed class BadMessageTests(RabbitMqBroker broker, PostgresServer postgres)
{
    [Fact]
    public async Task Undeserializable_and_invalid_events_go_to_the_error_queue_and_the_next_event_still_flows()
    {
        var vhost = await broker.CreateVirtualHostAsync("poison");
        var database = await postgres.CreateDatabaseAsync("poison");
        await using var fleet = await FleetHost.StartAsync(FleetRoles.All, new Dictionary<string, string?>
        {
            ["Transport:Kind"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = vhost.AmqpUri,
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:RewardEvents"] = database,
        });
        using var api = fleet.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        await RetryScheduleTests.CreateEndpointAsync(api, receiver.Url, []);

        var factory = new ConnectionFactory { Uri = new Uri(vhost.AmqpUri) };
        await using var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);

        // Not JSON at all, on the exchange the router's queue is bound to.
        await channel.BasicPublishAsync("RewardEvents.Contracts:RewardRedeemed", "", mandatory: false,
            new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true },
            Encoding.UTF8.GetBytes("{ this is not json"), TestContext.Current.CancellationToken);

        // Well-formed, but without an event id: it cannot be routed.
        var producer = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(new Uri(vhost.AmqpUri)));
        await producer.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            await producer.Publish(new RewardRedeemed
            {
                EventId = null!, UserId = "user_1", RewardId = "r", Amount = 1, Currency = "INR", Status = "success", OccurredAt = DateTimeOffset.UtcNow,
            }, TestContext.Current.CancellationToken);
        }
        finally
        {
            await producer.StopAsync(TestContext.Current.CancellationToken);
        }

        await RetryScheduleTests.PostEventAsync(api, "evt_after_poison", "user_1");
        var delivered = await Eventually.UntilAsync(
            () => Task.FromResult(receiver.Delivered().FirstOrDefault()), TimeSpan.FromSeconds(30), "the valid event after the poison is delivered");
        Assert.Equal("evt_after_poison", delivered.EventId);

        // A passive declare of a queue that does not exist yet closes its channel: each probe gets its own.
        await Eventually.UntilAsync(async () =>
        {
            await using var probe = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
            var errors = await probe.QueueDeclarePassiveAsync("routing-state_error", TestContext.Current.CancellationToken);
            return errors.MessageCount == 2;
        }, TimeSpan.FromSeconds(30), "both poison messages wait in the router's error queue");

        // The error queue keeps the reason with each message.
        var message = await channel.BasicGetAsync("routing-state_error", autoAck: false, TestContext.Current.CancellationToken);
        Assert.NotNull(message);
        Assert.True(message.BasicProperties.Headers?.ContainsKey("MT-Fault-Message") == true
            || message.BasicProperties.Headers?.ContainsKey("MT-Reason") == true, "the error queue message carries its fault reason");
    }
}
