using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RewardEvents.Testing;

namespace RewardEvents.Benchmarks.Ceilings;

/// <summary>
/// What RabbitMQ alone does on this machine: persistent messages of the webhook body's size, published
/// with confirms at bounded concurrency, then consumed with manual acks. No MassTransit, no database.
/// </summary>
public static class BrokerCeiling
{
    private const string Queue = "bench.ceiling";

    public static async Task<CeilingResult> MeasureAsync(
        RabbitMqVirtualHost vhost, byte[] body, int messages, int concurrency, int warmupRounds, double warmupJitShare, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(vhost);
        using var cancel = new CancellationTokenSource(timeout);
        var factory = new ConnectionFactory { Uri = new Uri(vhost.AmqpUri), ClientProvidedName = "bench-broker-ceiling" };
        await using var connection = await factory.CreateConnectionAsync(cancel.Token);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancel.Token);
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancel.Token);
        var properties = new BasicProperties { Persistent = true, ContentType = "application/json" };

        var rounds = await CeilingWarmup.RunAsync(RoundAsync, messages, warmupRounds, warmupJitShare);
        var window = CeilingWindow.Start();
        var (published, consumed) = await RoundAsync(messages);
        // Both halves of the hop, as each fleet message makes both.
        var (_, cpu, jitMs) = window.Stop(messages);
        await channel.QueueDeleteAsync(Queue);

        var publishRate = messages / published.TotalSeconds;
        var consumeRate = messages / consumed.TotalSeconds;
        return new CeilingResult("broker", messages, concurrency, body.Length, Math.Min(publishRate, consumeRate),
            new Dictionary<string, double>
            {
                ["publish_per_s"] = publishRate,
                ["consume_per_s"] = consumeRate,
                ["warmup_rounds"] = rounds,
                ["jit_ms"] = jitMs,
            },
            cpu);

        // All of them published, then all consumed.
        async Task<(TimeSpan Published, TimeSpan Consumed)> RoundAsync(int count)
        {
            var publishClock = Stopwatch.StartNew();
            using (var gate = new SemaphoreSlim(concurrency))
            {
                var inFlight = new List<Task>(count);
                for (var i = 0; i < count; i++)
                {
                    await gate.WaitAsync(cancel.Token);
                    inFlight.Add(PublishAsync(gate));
                }

                await Task.WhenAll(inFlight);
            }

            var published = publishClock.Elapsed;

            await using var consumerChannel = await connection.CreateChannelAsync(cancellationToken: cancel.Token);
            await consumerChannel.BasicQosAsync(0, (ushort)Math.Min(concurrency * 8, ushort.MaxValue), false, cancel.Token);
            var consumed = 0;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var consumer = new AsyncEventingBasicConsumer(consumerChannel);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                await consumerChannel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
                if (++consumed == count)
                {
                    done.TrySetResult();
                }
            };
            var consumeClock = Stopwatch.StartNew();
            var tag = await consumerChannel.BasicConsumeAsync(Queue, autoAck: false, consumer, cancel.Token);
            await done.Task.WaitAsync(cancel.Token);
            var consumedIn = consumeClock.Elapsed;
            await consumerChannel.BasicCancelAsync(tag);
            return (published, consumedIn);
        }

        async Task PublishAsync(SemaphoreSlim gate)
        {
            try
            {
                // With confirmation tracking on, this completes when the broker has confirmed the message.
                await channel.BasicPublishAsync("", Queue, mandatory: false, properties, body, cancel.Token);
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
