using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Infrastructure;

public sealed class RabbitMqBrokerTests(RabbitMqBroker broker)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_consistent_hash_exchange_spreads_keys_over_its_queues_and_keeps_each_key_on_one()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var vhost = await broker.CreateVirtualHostAsync("hash");
        await using var connection = await Connect(vhost, cancellation);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellation);

        await channel.ExchangeDeclareAsync("partitions", "x-consistent-hash", durable: true, autoDelete: false, cancellationToken: cancellation);
        string[] queues = ["partition-0", "partition-1", "partition-2"];
        foreach (var queue in queues)
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellation);
            // For this exchange type the binding key is the queue's weight on the hash ring.
            await channel.QueueBindAsync(queue, "partitions", "1", cancellationToken: cancellation);
        }

        for (var user = 0; user < 300; user++)
        {
            await channel.BasicPublishAsync("partitions", $"user-{user}", Encoding.UTF8.GetBytes($"user-{user}"), cancellation);
        }

        // The same user id published again must land where that user's first message landed.
        for (var repeat = 0; repeat < 5; repeat++)
        {
            await channel.BasicPublishAsync("partitions", "user-42", Encoding.UTF8.GetBytes("user-42"), cancellation);
        }

        var counts = await Eventually.UntilAsync(
            async () =>
            {
                var current = new List<uint>();
                foreach (var queue in queues)
                {
                    current.Add(await channel.MessageCountAsync(queue, cancellation));
                }

                return current.Sum(c => c) == 305 ? current : null;
            },
            Patience,
            "all 305 messages to be routed to the partition queues",
            cancellation);
        Assert.All(counts, count => Assert.InRange(count, 20u, 285u));

        var user42Queues = new HashSet<string>();
        foreach (var queue in queues)
        {
            while (await channel.BasicGetAsync(queue, autoAck: true, cancellation) is { } message)
            {
                if (Encoding.UTF8.GetString(message.Body.Span) == "user-42")
                {
                    user42Queues.Add(queue);
                }
            }
        }

        Assert.Single(user42Queues);
    }

    [Fact]
    public async Task Two_virtual_hosts_do_not_see_each_others_queues()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var first = await broker.CreateVirtualHostAsync("iso");
        var second = await broker.CreateVirtualHostAsync("iso");
        Assert.NotEqual(first.VirtualHost, second.VirtualHost);

        await using var firstConnection = await Connect(first, cancellation);
        await using var firstChannel = await firstConnection.CreateChannelAsync(cancellationToken: cancellation);
        await firstChannel.QueueDeclareAsync("deliveries", durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellation);
        await firstChannel.BasicPublishAsync("", "deliveries", Encoding.UTF8.GetBytes("only in the first vhost"), cancellation);
        await Eventually.UntilAsync(
            async () => await firstChannel.MessageCountAsync("deliveries", cancellation) == 1,
            Patience,
            "the message to be queued in the first vhost",
            cancellation);

        await using var secondConnection = await Connect(second, cancellation);
        await using var secondChannel = await secondConnection.CreateChannelAsync(cancellationToken: cancellation);
        var missing = await Assert.ThrowsAsync<OperationInterruptedException>(
            () => secondChannel.QueueDeclarePassiveAsync("deliveries", cancellation));
        Assert.Equal<ushort?>(404, missing.ShutdownReason?.ReplyCode);
    }

    private static Task<IConnection> Connect(RabbitMqVirtualHost vhost, CancellationToken cancellation) =>
        new ConnectionFactory { Uri = new Uri(vhost.AmqpUri) }.CreateConnectionAsync(cancellation);
}
