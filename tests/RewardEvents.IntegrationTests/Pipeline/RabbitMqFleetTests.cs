using System.Collections.Concurrent;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RewardEvents.Contracts;
using RewardEvents.Fleet;
using RewardEvents.Persistence;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Pipeline;

/// <summary>
/// The pipeline scenario on real RabbitMQ and PostgreSQL: the Api, the Router and two Workers as
/// separate bus instances, and a producer service that knows only the contracts.
/// </summary>
public sealed class RabbitMqFleetTests(RabbitMqBroker broker, PostgresServer postgres) : FleetScenario, IAsyncLifetime
{
    private IBusControl? _producer;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_producer is not null)
        {
            await _producer.StopAsync();
        }
    }

    [Fact]
    public async Task Fleet_on_rabbitmq_and_postgres_delivers_every_subscribed_event_signed_and_in_per_user_order()
    {
        var (vhost, settings) = await FleetSettingsAsync("fleet");

        // The Api migrates first; the others then start against the migrated database.
        await using var api = await FleetHost.StartAsync(FleetRoles.Api, settings);
        await using var router = await FleetHost.StartAsync(FleetRoles.Router, settings);
        await using var worker1 = await FleetHost.StartAsync(FleetRoles.Worker, settings);
        await using var worker2 = await FleetHost.StartAsync(FleetRoles.Worker, settings);

        _producer = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(new Uri(vhost.AmqpUri)));
        await _producer.StartAsync(TestContext.Current.CancellationToken);

        using var client = api.CreateClient();
        await RunAsync(client, TimeSpan.FromSeconds(180));
    }

    [Fact]
    public async Task An_event_accepted_before_the_router_ever_started_is_routed_once_it_starts()
    {
        var (_, settings) = await FleetSettingsAsync("router-late");

        // A fresh broker: only the Api has run, no router or worker has ever consumed.
        await using var api = await FleetHost.StartAsync(FleetRoles.Api, settings);
        using var client = api.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        await Reliability.RetryScheduleTests.CreateEndpointAsync(client, receiver.Url, []);
        await Reliability.RetryScheduleTests.PostEventAsync(client, "evt_before_router", "user_early");

        // The router starts and routes before any worker has connected its partitions; the delivery waits in its queue.
        await using var router = await FleetHost.StartAsync(FleetRoles.Router, settings);
        await Eventually.UntilAsync(async () =>
        {
            using var status = await client.GetAsync("/v1/events/evt_before_router");
            return status.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(30), "the early event is routed");
        await using var worker = await FleetHost.StartAsync(FleetRoles.Worker, settings);

        // Well before the scheduler's two-minute re-dispatch could have stood in for a dropped message.
        var delivered = await Eventually.UntilAsync(
            () => Task.FromResult(receiver.Delivered().FirstOrDefault()), TimeSpan.FromSeconds(30), "the early event is delivered");
        Assert.Equal("evt_before_router", delivered.EventId);
    }

    [Fact]
    public async Task An_endpoint_enabled_while_a_worker_parks_its_delivery_gets_it_at_once_not_after_the_recheck()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var (_, settings) = await FleetSettingsAsync("enable-race");
        await using var api = await FleetHost.StartAsync(FleetRoles.Api | FleetRoles.Router, settings);
        using var client = api.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        var endpointId = await Reliability.RetryScheduleTests.CreateEndpointAsync(client, receiver.Url, []);
        await Endpoints.EndpointApi.PatchAsync(client, endpointId, """{"enabled":false}""");
        await Reliability.RetryScheduleTests.PostEventAsync(client, "evt_enable_race", "user_race");
        await Eventually.UntilAsync(async () =>
        {
            using var status = await client.GetAsync("/v1/events/evt_enable_race", cancellationToken);
            return status.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(30), "the event is routed while the endpoint is off");

        // Hold the delivery's row: the worker reads it (endpoint off) but its park must wait for us.
        await using var holder = FleetDatabase.OpenPostgres(settings["ConnectionStrings:RewardEvents"]!);
        await using var hold = await holder.Database.BeginTransactionAsync(cancellationToken);
        await holder.Database.ExecuteSqlRawAsync("SELECT 1 FROM deliveries WHERE \"EventId\" = 'evt_enable_race' FOR UPDATE", cancellationToken);
        await using var worker = await FleetHost.StartAsync(FleetRoles.Worker, settings);
        await using var watcher = FleetDatabase.OpenPostgres(settings["ConnectionStrings:RewardEvents"]!);
        await Eventually.UntilAsync(
            async () => await watcher.Database.SqlQueryRaw<int>(
                "SELECT count(*)::int AS \"Value\" FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
                .SingleAsync(cancellationToken) > 0,
            TimeSpan.FromSeconds(30), "the worker's park waits on the held row");

        // Enabled (and its waiting deliveries released) before the park lands; then the park goes through.
        await Endpoints.EndpointApi.PatchAsync(client, endpointId, """{"enabled":true}""");
        await hold.RollbackAsync(cancellationToken);

        var delivered = await Eventually.UntilAsync(
            () => Task.FromResult(receiver.Delivered().FirstOrDefault()), TimeSpan.FromSeconds(30), "the delivery goes out once the endpoint is on");
        Assert.Equal("evt_enable_race", delivered.EventId);
    }

    [Fact]
    public async Task A_slow_endpoint_holds_back_its_own_deliveries_but_not_the_same_users_deliveries_to_another()
    {
        var (_, settings) = await FleetSettingsAsync("slow-neighbour");
        await using var api = await FleetHost.StartAsync(FleetRoles.Api | FleetRoles.Router, settings);
        await using var worker = await FleetHost.StartAsync(FleetRoles.Worker, settings);
        using var client = api.CreateClient();
        await using var slow = await TestReceiver.StartAsync();
        await using var fast = await TestReceiver.StartAsync();
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrivedAtSlow = new ConcurrentQueue<ReceivedWebhook>();
        slow.Hold = request =>
        {
            arrivedAtSlow.Enqueue(request);
            return answer.Task;
        };

        try
        {
            // Both per-user; each event goes to both in one message to the worker.
            await Reliability.RetryScheduleTests.CreateEndpointAsync(client, slow.Url, []);
            await Reliability.RetryScheduleTests.CreateEndpointAsync(client, fast.Url, []);
            for (var i = 1; i <= 3; i++)
            {
                await Reliability.RetryScheduleTests.PostEventAsync(client, $"evt_neighbour_{i}", "user_neighbour");
            }

            // All three reach the fast endpoint, in order, while the slow one still sits on the user's first.
            var atFast = await Eventually.UntilAsync(
                () => Task.FromResult(fast.Delivered() is { Count: 3 } all ? all : null), TimeSpan.FromSeconds(12), "the fast endpoint gets all three");
            Assert.Equal([1L, 2L, 3L], atFast.Select(r => r.Sequence));
            Assert.Equal([1L], arrivedAtSlow.Select(r => r.Sequence));
        }
        finally
        {
            answer.TrySetResult();
        }

        var atSlow = await Eventually.UntilAsync(
            () => Task.FromResult(slow.Delivered() is { Count: 3 } all ? all : null), TimeSpan.FromSeconds(30), "the slow endpoint gets all three once it answers");
        Assert.Equal([1L, 2L, 3L], atSlow.Select(r => r.Sequence));
    }

    [Fact]
    public async Task The_router_and_a_worker_take_no_more_unacknowledged_messages_than_they_work_on_at_once()
    {
        var (vhost, settings) = await FleetSettingsAsync("prefetch");
        settings["Delivery:Partitions"] = "4";
        settings["Delivery:ConcurrencyPerPartition"] = "5";
        await using var api = await FleetHost.StartAsync(FleetRoles.Api, settings);
        await using var router = await FleetHost.StartAsync(FleetRoles.Router, settings);
        await using var worker = await FleetHost.StartAsync(FleetRoles.Worker, settings);

        var partitions = Enumerable.Range(0, 4).Select(Fleet.Messaging.DeliveryTopology.PartitionQueue).ToHashSet();
        var consumers = await Eventually.UntilAsync(
            async () => await broker.ConsumersAsync(vhost) is var all
                        && all.Count(c => partitions.Contains(c.Queue)) == 4 && all.Any(c => c.Queue == Fleet.Messaging.DeliveryTopology.RouterQueue)
                ? all
                : null,
            TimeSpan.FromSeconds(30), "the broker reports a consumer on each of the 4 partitions and on the router's queue");
        Assert.All(consumers.Where(c => partitions.Contains(c.Queue)), c => Assert.Equal(5, c.Prefetch));
        Assert.Equal(Fleet.Routing.RoutingStateDefinition.ConcurrentMessages, consumers.Single(c => c.Queue == Fleet.Messaging.DeliveryTopology.RouterQueue).Prefetch);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("true", true)]
    public async Task The_message_handing_a_delivery_to_a_worker_is_transient_unless_configured_persistent(string? persistentDispatch, bool persistent)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var (vhost, settings) = await FleetSettingsAsync("dispatch-mode");
        settings["Delivery:Partitions"] = "2";
        if (persistentDispatch is not null)
        {
            settings["Delivery:PersistentDispatch"] = persistentDispatch;
        }

        await using var fleet = await FleetHost.StartAsync(FleetRoles.Api | FleetRoles.Router, settings);
        using var client = fleet.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        await Reliability.RetryScheduleTests.CreateEndpointAsync(client, receiver.Url, []);
        await Reliability.RetryScheduleTests.PostEventAsync(client, "evt_dispatch_mode", "user_mode");

        // No worker yet: the router's message waits in a partition; read it and put it back.
        await using var connection = await new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(vhost.AmqpUri) }.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var message = await TakeDispatchMessageAsync(channel, 2, cancellationToken);
        Assert.Equal(persistent, message.BasicProperties.Persistent);
        await channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true, cancellationToken);

        // The message itself brings the worker: the schedule's re-dispatch (two minutes by default) is far off.
        await using var worker = await FleetHost.StartAsync(FleetRoles.Worker, settings);
        var delivered = await Eventually.UntilAsync(
            () => Task.FromResult(receiver.Delivered().FirstOrDefault()), TimeSpan.FromSeconds(30), "the delivery goes out on its message");
        Assert.Equal("evt_dispatch_mode", delivered.EventId);
    }

    [Fact]
    public async Task A_delivery_whose_message_the_broker_dropped_goes_out_once_after_the_dispatch_grace()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var grace = TimeSpan.FromSeconds(3);
        var (vhost, settings) = await FleetSettingsAsync("dispatch-lost");
        settings["Delivery:Partitions"] = "2";
        settings["Delivery:DispatchGrace"] = grace.ToString();
        settings["Delivery:SchedulerInterval"] = "00:00:00.200";
        await using var fleet = await FleetHost.StartAsync(FleetRoles.Api | FleetRoles.Router, settings);
        using var client = fleet.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        await Reliability.RetryScheduleTests.CreateEndpointAsync(client, receiver.Url, []);
        await Reliability.RetryScheduleTests.PostEventAsync(client, "evt_dispatch_lost", "user_lost");

        // What a broker restart does to a transient message: it is gone.
        await using (var connection = await new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(vhost.AmqpUri) }.CreateConnectionAsync(cancellationToken))
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
        {
            var message = await TakeDispatchMessageAsync(channel, 2, cancellationToken);
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
        }

        await using var worker = await FleetHost.StartAsync(FleetRoles.Worker, settings);
        var delivered = await Eventually.UntilAsync(
            () => Task.FromResult(receiver.Delivered().FirstOrDefault()), TimeSpan.FromSeconds(30), "the schedule sends the delivery again");
        Assert.Equal("evt_dispatch_lost", delivered.EventId);

        // The schedule, not a message, sent it: its attempt began no sooner than the grace after it was routed.
        await using var db = FleetDatabase.OpenPostgres(settings["ConnectionStrings:RewardEvents"]!);
        var delivery = await db.Deliveries.AsNoTracking().SingleAsync(d => d.EventId == "evt_dispatch_lost", cancellationToken);
        var attempts = await db.Attempts.AsNoTracking().Where(a => a.DeliveryId == delivery.Id).ToListAsync(cancellationToken);
        var attempt = Assert.Single(attempts);
        Assert.True(attempt.StartedAt >= delivery.CreatedAt + grace, $"attempt at {attempt.StartedAt:O}, routed at {delivery.CreatedAt:O}");
        Assert.Equal(DeliveryStatus.Delivered, delivery.Status);
        Assert.Single(receiver.Delivered());
    }

    /// <summary>The one message the router sent to one of the partitions, taken unacknowledged.</summary>
    private static Task<RabbitMQ.Client.BasicGetResult> TakeDispatchMessageAsync(RabbitMQ.Client.IChannel channel, int partitions, CancellationToken cancellationToken) =>
        Eventually.UntilAsync(
            async () =>
            {
                for (var partition = 0; partition < partitions; partition++)
                {
                    if (await channel.BasicGetAsync(Fleet.Messaging.DeliveryTopology.PartitionQueue(partition), autoAck: false, cancellationToken) is { } message)
                    {
                        return message;
                    }
                }

                return null;
            },
            TimeSpan.FromSeconds(30), "the router's message waits in a partition");

    /// <summary>A virtual host and a database of the test's own, and the settings that point a host at them.</summary>
    private async Task<(RabbitMqVirtualHost VirtualHost, Dictionary<string, string?> Settings)> FleetSettingsAsync(string name)
    {
        var vhost = await broker.CreateVirtualHostAsync(name);
        var database = await postgres.CreateDatabaseAsync(name);
        return (vhost, new Dictionary<string, string?>
        {
            ["Transport:Kind"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = vhost.AmqpUri,
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:RewardEvents"] = database,
        });
    }

    /// <summary>Odd events come from a .NET producer publishing the contract; even ones over HTTP.</summary>
    protected override Task PublishAsync(HttpClient api, int index, string eventId, string type, string userId)
    {
        if (index % 2 == 0 || _producer is null)
        {
            return base.PublishAsync(api, index, eventId, type, userId);
        }

        var occurredAt = new DateTimeOffset(2026, 5, 5, 10, 0, 0, TimeSpan.Zero);
        RewardEvent message = type switch
        {
            "reward.redeemed" => new RewardRedeemed { EventId = eventId, UserId = userId, RewardId = $"reward_{index % 7}", Amount = 100 + index, Currency = "INR", Status = "success", OccurredAt = occurredAt },
            "reward.redemption_failed" => new RewardRedemptionFailed { EventId = eventId, UserId = userId, RewardId = $"reward_{index % 7}", Amount = 100 + index, Currency = "INR", Status = "failed", OccurredAt = occurredAt },
            _ => new RewardRedemptionReversed { EventId = eventId, UserId = userId, RewardId = $"reward_{index % 7}", Amount = 100 + index, Currency = "INR", Status = "reversed", OccurredAt = occurredAt },
        };
        return _producer.Publish(message, message.GetType());
    }
}
