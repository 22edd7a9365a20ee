using System.Diagnostics;
using MassTransit;
using RewardEvents.Benchmarks.Fleet;
using RewardEvents.Contracts;
using RewardEvents.Fleet.Routing;
using RewardEvents.Testing;

namespace RewardEvents.Benchmarks.Ceilings;

/// <summary>
/// What MassTransit's share of the fleet's messages costs on this machine, for reference (neither figure is one of
/// the two ceilings the fleet is measured against). Every event crosses two MassTransit hops in the fleet (the
/// producer to the router, the router to a worker as a batch), and each of its deliveries publishes an outcome
/// event that, in the benchmark, no queue is bound to:
/// <list type="bullet">
/// <item><c>masstransit</c>: one hop. The producer's <see cref="RewardRedeemed"/> published as the fleet's producer
/// publishes it (persistent, publisher confirms, MassTransit's envelope) and consumed by a consumer that does
/// nothing, on a receive endpoint running as many at once as the router's. No database.</item>
/// <item><c>masstransit-unrouted</c>: <see cref="WebhookDelivered"/> published the same way to its exchange, which
/// nothing is bound to: the broker confirms and drops it.</item>
/// </list>
/// </summary>
public static class MassTransitCeiling
{
    public static async Task<(CeilingResult Hop, CeilingResult Unrouted)> MeasureAsync(
        RabbitMqVirtualHost vhost, int messages, int users, int concurrency, int warmupRounds, double warmupJitShare, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(vhost);
        using var cancel = new CancellationTokenSource(timeout);
        var consumed = new ConsumedMessages();
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(vhost.Host, (ushort)vhost.Port, vhost.VirtualHost, h =>
            {
                h.Username(vhost.Username);
                h.Password(vhost.Password);
            });
            cfg.ReceiveEndpoint("bench-masstransit-ceiling", e =>
            {
                e.ConcurrentMessageLimit = RoutingStateDefinition.ConcurrentMessages; // as the router's endpoint
                e.Consumer(() => new CountingConsumer(consumed));
            });
        });
        await bus.StartAsync(cancel.Token);
        try
        {
            var hopWarmup = await CeilingWarmup.RunAsync(HopAsync, messages, warmupRounds, warmupJitShare);
            var hop = await MeasuredAsync("masstransit", consumed.BodyBytes, hopWarmup, () => HopAsync(messages));
            var unroutedWarmup = await CeilingWarmup.RunAsync(UnroutedAsync, messages, warmupRounds, warmupJitShare);
            var unrouted = await MeasuredAsync("masstransit-unrouted", 0, unroutedWarmup, () => UnroutedAsync(messages));
            return (hop, unrouted);
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }

        async Task<CeilingResult> MeasuredAsync(string name, int bodyBytes, int warmupRoundsRun, Func<Task<TimeSpan>> round)
        {
            var window = CeilingWindow.Start();
            var publishedIn = await round();
            var (elapsed, cpu, jitMs) = window.Stop(messages);
            // For the hop, publishing and consuming overlap, so its rate is the whole round's.
            return new CeilingResult(name, messages, concurrency, bodyBytes, messages / elapsed.TotalSeconds,
                new Dictionary<string, double>
                {
                    ["publish_per_s"] = messages / publishedIn.TotalSeconds,
                    ["warmup_rounds"] = warmupRoundsRun,
                    ["jit_ms"] = jitMs,
                },
                cpu);
        }

        async Task<TimeSpan> HopAsync(int count)
        {
            var done = consumed.Expect(count);
            var publishedIn = await PublishAsync(count, i => SampleEvents.Redeemed(i, users));
            await done.WaitAsync(cancel.Token);
            return publishedIn;
        }

        Task<TimeSpan> UnroutedAsync(int count) => PublishAsync(count, i => new WebhookDelivered
        {
            DeliveryId = Guid.NewGuid(),
            EventId = $"evt_{i:D8}",
            EndpointId = "ep_bench",
            Attempts = 1,
            DeliveredAt = DateTimeOffset.UtcNow,
        });

        async Task<TimeSpan> PublishAsync<T>(int count, Func<int, T> message)
            where T : class
        {
            var clock = Stopwatch.StartNew();
            var published = await EventProducer.PublishAsync(bus, count, message, concurrency, timeout);
            if (published != count)
            {
                throw new TimeoutException($"The MassTransit ceiling published {published} of {count} messages within {timeout}.");
            }

            return clock.Elapsed;
        }
    }

    private sealed class ConsumedMessages
    {
        private int _left;
        private TaskCompletionSource _done = new();

        /// <summary>The size of a message as the consumer received it: the event in MassTransit's envelope.</summary>
        public int BodyBytes { get; private set; }

        public Task Expect(int count)
        {
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _left, count);
            return _done.Task;
        }

        public void Consumed(ConsumeContext context)
        {
            BodyBytes = (int)(context.ReceiveContext.Body.Length ?? 0);
            if (Interlocked.Decrement(ref _left) == 0)
            {
                _done.TrySetResult();
            }
        }
    }

    private sealed class CountingConsumer(ConsumedMessages consumed) : IConsumer<RewardRedeemed>
    {
        public Task Consume(ConsumeContext<RewardRedeemed> context)
        {
            consumed.Consumed(context);
            return Task.CompletedTask;
        }
    }
}
