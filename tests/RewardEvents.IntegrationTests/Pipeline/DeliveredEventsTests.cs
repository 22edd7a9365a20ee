using System.Collections.Concurrent;
using MassTransit;
using RewardEvents.Contracts;
using RewardEvents.Fleet;
using RewardEvents.IntegrationTests.Endpoints;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Pipeline;

/// <summary>
/// The workers' <see cref="WebhookDelivered"/> on real RabbitMQ, to a service that subscribes: one per successful
/// delivery with <c>Delivery:PublishDeliveredEvents=true</c>, none by default.
/// </summary>
public sealed class DeliveredEventsTests(RabbitMqBroker broker, PostgresServer postgres)
{
    [Fact]
    public async Task A_subscriber_hears_every_successful_delivery_when_the_workers_publish_them()
    {
        var run = await StartAsync("delivered-on", publish: true);
        await using var _ = run;

        var events = await run.DeliverAsync(10);

        await Eventually.UntilAsync(
            () => Task.FromResult(events.All(run.Heard.ContainsKey)), TimeSpan.FromSeconds(30), "the subscriber hears all 10 outcomes");
        Assert.Equal(10, run.Publishes.Count);
        Assert.All(events, eventId =>
        {
            var heard = run.Heard[eventId];
            Assert.Equal(run.EndpointId, heard.EndpointId);
            Assert.Equal(1, heard.Attempts);
            Assert.NotEqual(Guid.Empty, heard.DeliveryId);
        });
    }

    [Fact]
    public async Task By_default_the_workers_publish_none()
    {
        var run = await StartAsync("delivered-off", publish: false);
        await using var _ = run;

        await run.DeliverAsync(10);

        // Each is published, when it is, right after its delivery is written: before its message is acknowledged,
        // long before the tenth is delivered one after another behind it.
        Assert.Equal(0, run.Publishes.Count);
        Assert.Empty(run.Heard);
    }

    private async Task<Run> StartAsync(string name, bool publish)
    {
        var vhost = await broker.CreateVirtualHostAsync(name);
        var settings = new Dictionary<string, string?>
        {
            ["Transport:Kind"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = vhost.AmqpUri,
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:RewardEvents"] = await postgres.CreateDatabaseAsync(name.Replace('-', '_')),
        };
        if (publish)
        {
            settings["Delivery:PublishDeliveredEvents"] = "true";
        }

        var run = new Run();
        try
        {
            run.Api = await FleetHost.StartAsync(FleetRoles.Api, settings);
            run.Router = await FleetHost.StartAsync(FleetRoles.Router, settings);
            run.Worker = await FleetHost.StartAsync(FleetRoles.Worker, settings, services: s => s.AddPublishObserver(_ => run.Publishes));
            run.Receiver = await TestReceiver.StartAsync();
            run.Client = run.Api.CreateClient();
            run.EndpointId = await Reliability.RetryScheduleTests.CreateEndpointAsync(run.Client, run.Receiver.Url, ["reward.redeemed"]);

            // A service subscribed before any event.
            run.Subscriber = Bus.Factory.CreateUsingRabbitMq(cfg =>
            {
                cfg.Host(new Uri(vhost.AmqpUri));
                cfg.ReceiveEndpoint($"{name}-subscriber", e => e.Handler<WebhookDelivered>(context =>
                {
                    run.Heard[context.Message.EventId] = context.Message;
                    return Task.CompletedTask;
                }));
            });
            await run.Subscriber.StartAsync(TestContext.Current.CancellationToken);
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    /// <summary>A fleet, a receiver and a subscriber.</summary>
    private sealed class Run : IAsyncDisposable
    {
        /// <summary>The worker's <see cref="WebhookDelivered"/> publishes.</summary>
        public PublishCounter Publishes { get; } = new();

        public FleetHost? Api { get; set; }

        public FleetHost? Router { get; set; }

        public FleetHost? Worker { get; set; }

        public TestReceiver? Receiver { get; set; }

        public HttpClient? Client { get; set; }

        public IBusControl? Subscriber { get; set; }

        public string EndpointId { get; set; } = "";

        public ConcurrentDictionary<string, WebhookDelivered> Heard { get; } = new();

        /// <summary>Posts one user's events and waits until the receiver has them all.</summary>
        public async Task<string[]> DeliverAsync(int count)
        {
            var events = Enumerable.Range(0, count).Select(i => $"evt_outcome_{i:D2}").ToArray();
            foreach (var eventId in events)
            {
                await EndpointApi.PostEventAsync(Client!, eventId, "user_outcomes");
            }

            await Eventually.UntilAsync(
                () => Task.FromResult(Receiver!.Delivered().Count == count), TimeSpan.FromSeconds(60), $"all {count} delivered");
            return events;
        }

        public async ValueTask DisposeAsync()
        {
            if (Subscriber is not null)
            {
                await Subscriber.StopAsync(CancellationToken.None);
            }

            Client?.Dispose();
            foreach (IAsyncDisposable? owned in new IAsyncDisposable?[] { Receiver, Worker, Router, Api })
            {
                if (owned is not null)
                {
                    await owned.DisposeAsync();
                }
            }
        }
    }

    /// <summary>Counts the <see cref="WebhookDelivered"/> a bus publishes.</summary>
    private sealed class PublishCounter : IPublishObserver
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Task PrePublish<T>(PublishContext<T> context)
            where T : class
        {
            if (context.Message is WebhookDelivered)
            {
                Interlocked.Increment(ref _count);
            }

            return Task.CompletedTask;
        }

        public Task PostPublish<T>(PublishContext<T> context)
            where T : class => Task.CompletedTask;

        public Task PublishFault<T>(PublishContext<T> context, Exception exception)
            where T : class => Task.CompletedTask;
    }
}
