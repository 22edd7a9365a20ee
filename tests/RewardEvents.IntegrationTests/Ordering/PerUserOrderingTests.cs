using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using RewardEvents.Contracts;
using RewardEvents.Fleet;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Ordering;

/// <summary>
/// Per-user order across three worker processes on real RabbitMQ and PostgreSQL, while receivers
/// fail a random 20 %, one endpoint is down for a stretch, one worker is SIGKILLed and another joins.
/// </summary>
[Collection(typeof(Infrastructure.ServerRestartCollection))] // three worker processes under load: it runs alone, not beside other tests
public sealed class PerUserOrderingTests(RabbitMqBroker broker, PostgresServer postgres) : IAsyncLifetime
{
    private const int Users = 200;
    private const int EventsPerUser = 20;
    private string _work = "";
    private readonly OwnedResources _owned = new();

    public ValueTask InitializeAsync()
    {
        _work = _owned.TempDirectory("rewardevents-ordering-");
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _owned.DisposeAsync();

    [Fact]
    public async Task Each_user_reaches_each_endpoint_in_sequence_through_failures_a_killed_worker_and_a_joining_one()
    {
        var vhost = await broker.CreateVirtualHostAsync("ordering");
        var database = await postgres.CreateDatabaseAsync("ordering");
        var settings = new Dictionary<string, string?>
        {
            ["Transport:Kind"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = vhost.AmqpUri,
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:RewardEvents"] = database,
            ["Security:ApiKeys:0"] = FleetHost.ApiKey,
            ["Delivery:AllowPrivateNetworks"] = "true",
            ["Delivery:Partitions"] = "12",
            ["Delivery:RetrySchedule"] = "200ms,500ms,1s,1s,2s,2s,2s,2s,2s,2s",
            ["Delivery:SchedulerInterval"] = "00:00:00.200",
            ["Delivery:HeartbeatInterval"] = "00:00:00.500",
            ["Delivery:WorkerTimeout"] = "00:00:03",
            ["Delivery:LeaseMargin"] = "00:00:02",
            ["Delivery:RequestTimeout"] = "00:00:05",
            ["Delivery:CircuitBreakerThreshold"] = "1000",
        };

        var api = await Own(FleetHost.StartAsync(FleetRoles.Api | FleetRoles.Router, settings));
        var random = new Random(20261122);
        var flaky = await Own(TestReceiver.StartAsync());
        int? FailOneInFive()
        {
            lock (random)
            {
                return random.NextDouble() < 0.2 ? 500 : null;
            }
        }

        flaky.Respond = _ => FailOneInFive();
        var downForAStretch = await Own(TestReceiver.StartAsync());
        var down = false;
        downForAStretch.Respond = _ => Volatile.Read(ref down) ? 503 : FailOneInFive();

        using var client = api.CreateClient();
        var endpoints = new[] { flaky, downForAStretch };
        foreach (var receiver in endpoints)
        {
            using var created = await client.PostAsJsonAsync("/v1/endpoints", new { url = receiver.Url, ordering = "per-user" });
            created.EnsureSuccessStatusCode();
        }

        var workers = new List<FleetProcess>();
        for (var i = 0; i < 3; i++)
        {
            workers.Add(StartWorker(settings));
        }

        await Task.WhenAll(workers.Select(w => w.WaitReadyAsync(TimeSpan.FromSeconds(60))));

        var producer = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(new Uri(vhost.AmqpUri)));
        await producer.StartAsync(TestContext.Current.CancellationToken);
        _owned.OnDispose(() => producer.StopAsync());

        var run = Guid.NewGuid().ToString("N")[..6];
        var total = Users * EventsPerUser * endpoints.Length;
        for (var round = 0; round < EventsPerUser; round++)
        {
            // One round publishes the next event of every user; a user's events go out strictly one after another.
            await Task.WhenAll(Enumerable.Range(0, Users).Select(u => producer.Publish(new RewardRedeemed
            {
                EventId = $"evt_{run}_{u:000}_{round:00}",
                UserId = $"user_{run}_{u:000}",
                RewardId = "reward_1",
                Amount = round,
                Currency = "INR",
                Status = "success",
                OccurredAt = DateTimeOffset.UtcNow,
            })));

            if (round == 5)
            {
                // The second receiver is down for three seconds of the run, then back.
                Volatile.Write(ref down, true);
                _ = Task.Delay(TimeSpan.FromSeconds(3)).ContinueWith(_ => Volatile.Write(ref down, false), TaskScheduler.Default);
            }

            if (round == 8)
            {
                await workers[0].KillAsync();
            }

            if (round == 12)
            {
                workers.Add(StartWorker(settings));
            }
        }

        await Eventually.UntilAsync(
            () => Task.FromResult(endpoints.Sum(e => e.Delivered().Count) >= total),
            TimeSpan.FromMinutes(6), $"all {total} deliveries arrive");

        await using var db = FleetDatabase.OpenPostgres(database);
        var deliveries = await db.Deliveries.AsNoTracking().ToListAsync();
        Assert.Equal(total, deliveries.Count);
        Assert.All(deliveries, d => Assert.Equal(DeliveryStatus.Delivered, d.Status));

        foreach (var receiver in endpoints)
        {
            foreach (var pair in receiver.Requests.OrderBy(r => r.At).GroupBy(r => r.UserId))
            {
                // Attempts for one user arrive in sequence order, and a later one only after the earlier succeeded.
                long current = 0;
                var currentSucceeded = true;
                foreach (var request in pair)
                {
                    if (request.Sequence != current)
                    {
                        Assert.True(request.Sequence > current, $"{pair.Key}: sequence {request.Sequence} attempted after {current}");
                        Assert.True(currentSucceeded, $"{pair.Key}: sequence {request.Sequence} attempted before {current} was final");
                        current = request.Sequence;
                    }

                    currentSucceeded = request.AnsweredWith is >= 200 and < 300;
                }

                Assert.Equal(Enumerable.Range(1, EventsPerUser).Select(i => (long)i),
                    pair.Where(r => r.AnsweredWith == 200).Select(r => r.Sequence).Distinct());
            }
        }

        // Every one of the three original workers carried a share of the partitions.
        var workerShares = await db.Attempts.AsNoTracking().Where(a => a.WorkerId != null)
            .GroupBy(a => a.WorkerId).Select(g => new { Worker = g.Key, Attempts = g.Count() }).ToListAsync();
        Assert.True(workerShares.Count >= 3, $"attempts came from {workerShares.Count} workers: {JsonSerializer.Serialize(workerShares)}");
        Assert.All(workerShares, s => Assert.True(s.Attempts > 0));
    }

    private FleetProcess StartWorker(Dictionary<string, string?> settings)
    {
        return _owned.Own(FleetProcess.Start("Worker", settings, _work));
    }

    private async Task<T> Own<T>(Task<T> start)
        where T : IAsyncDisposable => _owned.Own(await start);
}
