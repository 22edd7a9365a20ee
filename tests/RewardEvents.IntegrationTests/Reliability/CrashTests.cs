using System.Net.Http.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using RewardEvents.Contracts;
using RewardEvents.Fleet;
using RewardEvents.IntegrationTests.Infrastructure;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;
using RewardEvents.Webhooks;

namespace RewardEvents.IntegrationTests.Reliability;

/// <summary>
/// Faults in the middle of a load, with the Api and Router in this process and two Workers as
/// separate processes, on real RabbitMQ and PostgreSQL: nothing accepted is lost.
/// </summary>
[Collection(typeof(ServerRestartCollection))]
public sealed class CrashTests(RabbitMqBroker broker, PostgresServer postgres) : IAsyncLifetime
{
    private const int Events = 400;
    private string _work = "";
    private readonly OwnedResources _owned = new();

    public ValueTask InitializeAsync()
    {
        _work = _owned.TempDirectory("rewardevents-crash-");
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _owned.DisposeAsync();

    [Fact]
    public async Task A_worker_killed_mid_load_and_restarted_loses_nothing() =>
        await RunAsync(async (workers, settings) =>
        {
            await workers[0].KillAsync();
            workers[0] = Own(FleetProcess.Start("Worker", settings, _work));
            await workers[0].WaitReadyAsync(TimeSpan.FromSeconds(60));
        });

    /// <summary>
    /// SIGTERM, as Kubernetes sends before a pod goes away: the worker stops taking deliveries, finishes
    /// the ones in flight, releases its partitions and leaves the worker table, then exits well within
    /// the grace period; the other worker takes its partitions over and nothing is lost or reordered.
    /// </summary>
    [Fact]
    public async Task A_worker_stopped_with_SIGTERM_mid_load_hands_over_and_loses_nothing()
    {
        string? database = null;
        var terminatedWorkers = new List<string>();
        await RunAsync(async (workers, settings) =>
        {
            database = settings["ConnectionStrings:RewardEvents"];
            await using (var db = FleetDatabase.OpenPostgres(database!))
            {
                // Know which worker row belongs to the process we stop: the one that is not the survivor's after it leaves.
                terminatedWorkers.AddRange(await db.Workers.AsNoTracking().Select(w => w.Id).ToListAsync());
            }

            await workers[0].TerminateAsync();
            await workers[0].WaitForExitAsync(TimeSpan.FromSeconds(30)); // well within the default 30 s shutdown timeout and k8s' 45 s grace
            // Its last lines reach the log file through a pipe, maybe a moment after it exited.
            await Eventually.UntilAsync(() => Task.FromResult(workers[0].LogTail(200).Contains("released by worker", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(5), "the stopped worker logs releasing its partitions");
            await using (var db = FleetDatabase.OpenPostgres(database!))
            {
                // It left the table itself: the survivor takes over on its next heartbeat, not after a timeout.
                var live = await db.Workers.AsNoTracking().Select(w => w.Id).ToListAsync();
                Assert.Single(live);
                terminatedWorkers.Remove(live[0]);
            }
        });

        // Finished, not cut off: no attempt of the stopped worker had to be recorded as lost.
        await using var check = FleetDatabase.OpenPostgres(database!);
        var stopped = Assert.Single(terminatedWorkers);
        Assert.True(await check.Attempts.AnyAsync(a => a.WorkerId == stopped), "the stopped worker delivered before it stopped");
        Assert.Equal(0, await check.Attempts.CountAsync(a => a.Error == "worker_lost"));
    }

    /// <summary>
    /// A broker of its own: restarting the shared one would drop every other test's connections, and
    /// its recovery time would grow with every vhost the run has left behind.
    /// </summary>
    [Fact]
    public async Task A_broker_restart_mid_load_loses_nothing()
    {
        Assert.SkipUnless(broker.CanRestart, "the broker was not started by the tests, so they cannot restart it");
        // Endpoints that hang after the restart (the router's or a partition's) are reconnected by the
        // watchdog once messages have waited StalledEndpointTimeout (45 s) without progress.
        var own = new RabbitMqBroker();
        await own.InitializeAsync();
        _owned.Own(own);
        await RunAsync((_, _) => own.RestartAsync(), own, postgres);
    }

    /// <summary>
    /// The dispatch messages are transient by default: a broker restart drops those waiting in a partition. Their
    /// deliveries must not wait for the two-minute redispatch deadline: a worker that sees its broker connection come
    /// back sends them again at once. Persistent ones survive the restart.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task After_a_broker_restart_the_deliveries_whose_messages_it_dropped_go_out_without_waiting_for_the_grace(bool persistentDispatch)
    {
        Assert.SkipUnless(broker.CanRestart, "the broker was not started by the tests, so they cannot restart it");
        var cancellationToken = TestContext.Current.CancellationToken;
        var own = new RabbitMqBroker();
        await own.InitializeAsync();
        _owned.Own(own);
        var vhost = await own.CreateVirtualHostAsync("restart-dispatch");
        var settings = new Dictionary<string, string?>
        {
            ["Transport:Kind"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = vhost.AmqpUri,
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:RewardEvents"] = await postgres.CreateDatabaseAsync("restart_dispatch"),
            ["Delivery:Partitions"] = "1",
            ["Delivery:ConcurrencyPerPartition"] = "1",
            ["Delivery:RequestTimeout"] = "00:01:00",
            ["Delivery:SchedulerInterval"] = "00:00:00.200",
            ["Delivery:HeartbeatInterval"] = "00:00:00.500",
            ["Delivery:StalledEndpointTimeout"] = "00:00:05",
            ["Delivery:PersistentDispatch"] = persistentDispatch ? "true" : "false",
        };
        await using var fleet = await FleetHost.StartAsync(FleetRoles.Api | FleetRoles.Router | FleetRoles.Worker, settings);
        using var client = fleet.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Hold = _ => first.TrySetResult() ? release.Task : Task.CompletedTask;
        await RetryScheduleTests.CreateEndpointAsync(client, receiver.Url, []);

        // A copy of every dispatch message to the partition, in a durable queue no one consumes: what the restart does to
        // the messages themselves shows there, whatever the worker sends again once it is back (it may be back before
        // this test looks, and it reads the partition's queue itself).
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(vhost.AmqpUri) };
        const string copies = "test.dispatch-copies";
        await using (var connection = await factory.CreateConnectionAsync(cancellationToken))
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
        {
            await channel.QueueDeclareAsync(copies, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken);
            await channel.QueueBindAsync(copies, Fleet.Messaging.DeliveryTopology.PartitionQueue(0), "", cancellationToken: cancellationToken);
        }

        // One delivery held at the receiver, so the partition's one consumer takes nothing more; four wait in the queue.
        const int events = 5;
        for (var i = 0; i < events; i++)
        {
            await RetryScheduleTests.PostEventAsync(client, $"evt_restart_{i}", $"user_{i}");
        }

        await first.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        await Eventually.UntilAsync(async () =>
        {
            await using var connection = await factory.CreateConnectionAsync(cancellationToken);
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            return (await channel.QueueDeclarePassiveAsync(Fleet.Messaging.DeliveryTopology.PartitionQueue(0), cancellationToken)).MessageCount == events - 1;
        }, TimeSpan.FromSeconds(30), "four dispatch messages wait in the partition");
        var sent = await PeekBodiesAsync(factory, copies, cancellationToken);
        Assert.Equal(events, sent.Count);

        await own.RestartAsync();
        var kept = await PeekBodiesAsync(factory, copies, cancellationToken);
        // Persistent: every message the broker had survives. Transient: none does (what is there now, the worker sent again).
        Assert.Equal(persistentDispatch ? events : 0, sent.Count(kept.Contains));

        release.SetResult();

        // Half the default two-minute grace: without their messages, only the worker's second dispatch brings them this soon.
        await Eventually.UntilAsync(
            () => Task.FromResult(receiver.Delivered().Count == events), TimeSpan.FromSeconds(60), "every event is delivered after the restart");
        Assert.Equal(Enumerable.Range(0, events).Select(i => $"evt_restart_{i}").Order(), receiver.Delivered().Select(r => r.EventId).Order());
    }

    /// <summary>The bodies of the messages ready in <paramref name="queue"/>, left in it (taken unacknowledged, then requeued).</summary>
    private static async Task<HashSet<string>> PeekBodiesAsync(RabbitMQ.Client.ConnectionFactory factory, string queue, CancellationToken cancellationToken)
    {
        var bodies = new HashSet<string>(StringComparer.Ordinal);
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        while (await channel.BasicGetAsync(queue, autoAck: false, cancellationToken) is { } message)
        {
            bodies.Add(Convert.ToBase64String(message.Body.Span));
        }

        // Closing the channel returns every message it took to the queue.
        return bodies;
    }

    [Fact]
    public async Task A_database_restart_mid_load_loses_nothing()
    {
        Assert.SkipUnless(postgres.CanRestart, "the database server was not started by the tests, so they cannot restart it");
        var own = new PostgresServer();
        await own.InitializeAsync();
        _owned.Own(own);
        await RunAsync((_, _) => own.RestartAsync(), broker, own);
    }

    private Task RunAsync(Func<List<FleetProcess>, Dictionary<string, string?>, Task> fault) => RunAsync(fault, broker, postgres);

    private async Task RunAsync(Func<List<FleetProcess>, Dictionary<string, string?>, Task> fault, RabbitMqBroker broker, PostgresServer postgres)
    {
        var vhost = await broker.CreateVirtualHostAsync("crash");
        var database = await postgres.CreateDatabaseAsync("crash");
        var settings = new Dictionary<string, string?>
        {
            ["Transport:Kind"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = vhost.AmqpUri,
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:RewardEvents"] = database,
            ["Security:ApiKeys:0"] = FleetHost.ApiKey,
            ["Delivery:AllowPrivateNetworks"] = "true",
            ["Delivery:Partitions"] = "8",
            ["Delivery:RetrySchedule"] = "500ms,1s,2s,2s,2s,2s,2s,2s",
            ["Delivery:SchedulerInterval"] = "00:00:00.200",
            ["Delivery:HeartbeatInterval"] = "00:00:00.500",
            ["Delivery:WorkerTimeout"] = "00:00:03",
            ["Delivery:LeaseMargin"] = "00:00:02",
            ["Delivery:RequestTimeout"] = "00:00:03",
            ["Delivery:DispatchGrace"] = "00:00:05",
        };

        var api = Own(await FleetHost.StartAsync(FleetRoles.Api, settings));
        var router = Own(FleetProcess.Start("Router", settings, _work));
        var receiver = Own(await TestReceiver.StartAsync());
        using var client = api.CreateClient();
        using var created = await client.PostAsJsonAsync("/v1/endpoints", new { url = receiver.Url });
        var secret = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("secret").GetString()!;

        var workers = new List<FleetProcess> { Own(FleetProcess.Start("Worker", settings, _work)), Own(FleetProcess.Start("Worker", settings, _work)) };
        await Task.WhenAll(workers.Append(router).Select(w => w.WaitReadyAsync(TimeSpan.FromSeconds(60))));

        var producer = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(new Uri(vhost.AmqpUri)));
        await producer.StartAsync(TestContext.Current.CancellationToken);
        _owned.OnDispose(() => producer.StopAsync());

        var run = Guid.NewGuid().ToString("N")[..6];
        var ids = Enumerable.Range(0, Events).Select(i => $"evt_{run}_{i:000}").ToList();
        await Task.WhenAll(ids.Select((id, i) => producer.Publish(new RewardRedeemed
        {
            EventId = id, UserId = $"user_{run}_{i % 40:00}", RewardId = "reward_1", Amount = i, Currency = "INR",
            Status = "success", OccurredAt = DateTimeOffset.UtcNow,
        })));

        await Eventually.UntilAsync(() => Task.FromResult(receiver.Delivered().Count >= Events / 5), TimeSpan.FromSeconds(60), "the load is under way");
        await fault(workers, settings);

        try
        {
            await Eventually.UntilAsync(async () =>
            {
                await using var db = FleetDatabase.OpenPostgres(database);
                var final = await db.Deliveries.CountAsync(d => d.Status == DeliveryStatus.Delivered || d.Status == DeliveryStatus.DeadLettered);
                return final == Events;
            }, TimeSpan.FromMinutes(3), $"all {Events} deliveries reach a final state");
        }
        catch (TimeoutException ex)
        {
            await using var db = FleetDatabase.OpenPostgres(database);
            var routed = await db.Routings.CountAsync();
            var states = await db.Deliveries.GroupBy(d => d.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
            using var probe = new HttpClient { BaseAddress = new Uri(router.BaseUrl) };
            using var health = await probe.GetAsync("/health/ready");
            throw new TimeoutException(
                $"{ex.Message} Router health: {(int)health.StatusCode} {await health.Content.ReadAsStringAsync()}. Routed {routed} of {Events} events; deliveries by status: {string.Join(", ", states.Select(s => $"{s.Key}={s.Count}"))}; " +
                $"receiver saw {receiver.Requests.Count} requests.\nRouter:\n{router.LogTail(30)}", ex);
        }

        await using var check = FleetDatabase.OpenPostgres(database);
        var deliveries = await check.Deliveries.AsNoTracking().ToListAsync();
        Assert.Equal(ids.Order(), deliveries.Select(d => d.EventId).Order());

        // Per-user order held through the fault: each user's events were first accepted in sequence order.
        foreach (var user in receiver.Requests.Where(r => r.AnsweredWith == 200).GroupBy(r => r.UserId))
        {
            var firstAccepted = user.GroupBy(r => r.EventId).Select(e => e.MinBy(r => r.At)!).OrderBy(r => r.At).Select(r => r.Sequence).ToList();
            Assert.True(firstAccepted.SequenceEqual(firstAccepted.Order()), $"{user.Key} received out of order: {string.Join(",", firstAccepted)}");
        }

        var verifier = new WebhookVerifier([WebhookSecret.Parse(secret)]);
        foreach (var delivery in deliveries)
        {
            // Every POST the receiver saw is on record as an attempt (one cut off by a crash as "worker_lost").
            // A duplicate attempt after an expired lease may still be writing its row, so wait for it.
            var posts = receiver.Requests.Count(r => r.EventId == delivery.EventId);
            var attempts = await Eventually.UntilAsync(async () =>
            {
                var rows = await check.Attempts.AsNoTracking().Where(a => a.DeliveryId == delivery.Id).ToListAsync();
                return rows.Count >= posts ? rows : null;
            }, TimeSpan.FromSeconds(30), $"the {posts} POST(s) of delivery {delivery.Id} are recorded");
            if (delivery.Status == DeliveryStatus.Delivered)
            {
                // Delivered means the receiver saw it, signed; any duplicate POST carried the same webhook-id.
                var seen = receiver.Requests.Where(r => r.EventId == delivery.EventId).ToList();
                Assert.Contains(seen, r => r.AnsweredWith == 200);
                Assert.All(seen, r => Assert.Equal(delivery.WebhookId, r.WebhookId));
                Assert.All(seen, r => verifier.Verify(r.Headers, r.Body));
            }
            else
            {
                Assert.NotEmpty(attempts);
            }
        }
    }

    private T Own<T>(T value)
        where T : IAsyncDisposable => _owned.Own(value);
}
