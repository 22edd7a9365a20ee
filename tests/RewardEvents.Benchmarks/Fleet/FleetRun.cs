using System.Diagnostics;
using MassTransit;
using RewardEvents.Testing;
using RewardEvents.Webhooks;

namespace RewardEvents.Benchmarks.Fleet;

/// <summary>
/// One end-to-end run on a fresh virtual host and database: Api, Router and the Workers as processes,
/// endpoints on the local receiver, events from a MassTransit producer, receipts timed at the receiver.
/// </summary>
public static class FleetRun
{
    private const string ApiKey = "bench-api-key-0123456789";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    public static async Task<FleetResult> RunAsync(
        RabbitMqBroker broker, PostgresServer postgres, WebhookReceiver receiver, FleetScenario scenario, BenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(postgres);
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        var vhost = await broker.CreateVirtualHostAsync("bench");
        var database = await postgres.CreateDatabaseAsync("bench");
        var settings = new Dictionary<string, string>
        {
            ["Transport__Kind"] = "RabbitMq",
            ["ConnectionStrings__RabbitMq"] = vhost.AmqpUri,
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__RewardEvents"] = database,
            ["Security__ApiKeys__0"] = ApiKey,
            ["Delivery__AllowPrivateNetworks"] = "true",
            ["Delivery__RequireHttps"] = "false", // the local receiver speaks plain http; the hosts run with production settings
        };
        var logs = Path.Combine(RepoPaths.Root, "artifacts", "bench", "logs", scenario.Name);
        var hosts = new List<HostProcess>();
        try
        {
            // The Api migrates the fresh database before the others start, so they do not race to.
            var api = HostProcess.Start("Api", "api", settings, logs);
            hosts.Add(api);
            await api.WaitReadyAsync(StartTimeout);
            hosts.Add(HostProcess.Start("Router", "router", settings, logs));
            for (var w = 1; w <= scenario.Workers; w++)
            {
                hosts.Add(HostProcess.Start("Worker", $"worker-{w}", settings, logs));
            }

            await Task.WhenAll(hosts.Skip(1).Select(h => h.WaitReadyAsync(StartTimeout)));

            using var client = new FleetApiClient(api.BaseUrl, ApiKey);
            for (var e = 0; e < scenario.Endpoints; e++)
            {
                var name = $"{scenario.Name}-{e}";
                var (_, secret) = await client.CreateEndpointAsync(new Uri(receiver.BaseUri, $"hooks/{name}"), scenario.Ordering);
                receiver.Register(name, WebhookSecret.Parse(secret));
            }

            // Let the workers settle which of them owns which partitions before the clock starts.
            await Task.Delay(TimeSpan.FromSeconds(options.Smoke ? 1 : 3));

            var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(vhost.Host, (ushort)vhost.Port, vhost.VirtualHost, h =>
            {
                h.Username(vhost.Username);
                h.Password(vhost.Password);
            }));
            using (var starting = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                await bus.StartAsync(starting.Token);
            }

            int published;
            TimeSpan publishing;
            ReceiptLog log;
            CpuTime cpuAtStart;
            var hostIds = hosts.ToDictionary(h => h.ProcessId, h => h.Name);
            try
            {
                if (options.Warmup > 0)
                {
                    receiver.Reset();
                    var warm = await EventProducer.PublishAsync(bus, options.Warmup, scenario.Users, options.Concurrency, options.DrainTimeout);
                    if (!await receiver.Receipts.WaitForAsync(warm * scenario.Endpoints, options.DrainTimeout))
                    {
                        Console.Error.WriteLine($"  warm-up: {receiver.Receipts.Unique} of {warm * scenario.Endpoints} delivered in time; measuring anyway");
                    }
                }

                receiver.Reset();
                log = receiver.Receipts;
                cpuAtStart = CpuTime.Read(hostIds);
                var clock = Stopwatch.StartNew();
                published = scenario.Rate is { } rate
                    ? await EventProducer.PublishPacedAsync(bus, scenario.Users, rate, scenario.Duration ?? options.Duration)
                    : await EventProducer.PublishAsync(bus, scenario.Events, scenario.Users, options.Concurrency, options.DrainTimeout);
                publishing = clock.Elapsed;
            }
            finally
            {
                await bus.StopAsync();
            }

            var expected = published * scenario.Endpoints;
            var complete = await log.WaitForAsync(expected, options.DrainTimeout);
            var cpu = CpuTime.Read(hostIds).SecondsSince(cpuAtStart);
            var receipts = log.Snapshot();
            var span = receipts.Count > 1 ? (receipts.Max(r => r.Received) - receipts.Min(r => r.Received)).TotalSeconds : 0;
            return new FleetResult(
                scenario, published, expected, log.Unique, log.Duplicates, log.Rejected, complete,
                publishing.TotalSeconds, span, span > 0 ? (receipts.Count - 1) / span : 0,
                LatencyStats.Of(receipts.Select(r => r.LatencyMs).Where(double.IsFinite)),
                hosts.ToDictionary(h => h.Name, h => h.PeakRssMib()),
                cpu.ToDictionary(c => c.Key, c => log.Unique > 0 ? c.Value * 1000 / log.Unique : 0));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }
}
