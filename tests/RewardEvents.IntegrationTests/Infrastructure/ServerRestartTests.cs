using System.Text;
using Npgsql;
using RabbitMQ.Client;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Infrastructure;

[Collection(typeof(ServerRestartCollection))]
public sealed class ServerRestartTests(RabbitMqBroker broker, PostgresServer postgres)
{
    [Fact]
    public async Task A_persistent_message_in_a_durable_queue_survives_a_broker_restart()
    {
        if (!broker.CanRestart)
        {
            Assert.Skip($"The broker came from {broker.Origin}; only a locally started node can be restarted.");
        }

        var cancellation = TestContext.Current.CancellationToken;
        var vhost = await broker.CreateVirtualHostAsync("restart");
        var factory = new ConnectionFactory { Uri = new Uri(vhost.AmqpUri), AutomaticRecoveryEnabled = false };
        await using (var connection = await factory.CreateConnectionAsync(cancellation))
        await using (var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellation))
        {
            await channel.QueueDeclareAsync("durable", durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellation);
            await channel.BasicPublishAsync(
                "", "durable", mandatory: true, new BasicProperties { Persistent = true }, Encoding.UTF8.GetBytes("kept"), cancellation);
        }

        await broker.RestartAsync();

        // The node accepts connections before it has recovered every virtual host's queues: until then the queue
        // is "not found" (404, which closes the channel), so the check waits for it on fresh channels.
        await using var after = await factory.CreateConnectionAsync(cancellation);
        await Eventually.UntilAsync(
            async () =>
            {
                await using var probe = await after.CreateChannelAsync(cancellationToken: cancellation);
                try
                {
                    await probe.QueueDeclarePassiveAsync("durable", cancellation);
                    return true;
                }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(30), "the durable queue to be recovered in its virtual host");
        await using var afterChannel = await after.CreateChannelAsync(cancellationToken: cancellation);
        var message = await afterChannel.BasicGetAsync("durable", autoAck: true, cancellation);
        Assert.NotNull(message);
        Assert.Equal("kept", Encoding.UTF8.GetString(message.Body.Span));
    }

    [Fact]
    public async Task A_committed_row_survives_a_database_restart()
    {
        if (!postgres.CanRestart)
        {
            Assert.Skip($"PostgreSQL came from {postgres.Origin}; only a locally started cluster can be restarted.");
        }

        var cancellation = TestContext.Current.CancellationToken;
        var connectionString = await postgres.CreateDatabaseAsync("infra_restart");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var write = dataSource.CreateCommand("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('kept')"))
        {
            await write.ExecuteNonQueryAsync(cancellation);
        }

        await postgres.RestartAsync();

        // The data source's pooled connection died with the server; a fresh one reads the row.
        await using var fresh = NpgsqlDataSource.Create(connectionString);
        await using var read = fresh.CreateCommand("SELECT v FROM kept");
        Assert.Equal("kept", await read.ExecuteScalarAsync(cancellation));
    }
}
