using System.Diagnostics;
using System.Globalization;
using MassTransit;
using Npgsql;
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
        bool statementsTracked;
        using (var preparing = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            statementsTracked = await DatabaseStatements.PrepareAsync(database, preparing.Token);
        }

        var settings = new Dictionary<string, string>
        {
            ["Transport__Kind"] = "RabbitMq",
            ["ConnectionStrings__RabbitMq"] = vhost.AmqpUri,
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__RewardEvents"] = database + options.DatabaseOptions,
            ["Security__ApiKeys__0"] = ApiKey,
            ["Delivery__AllowPrivateNetworks"] = "true",
            ["Delivery__RequireHttps"] = "false", // the local receiver speaks plain http; the hosts run with production settings
            ["Telemetry__Prometheus"] = "true", // the warm-up reads each host's JIT time from its scrape
            ["Delivery__PublishDeliveredEvents"] = options.DeliveredEvents ? "true" : "false",
        };
        var logs = Path.Combine(RepoPaths.Root, "artifacts", "bench", "logs", scenario.Name);
        var hosts = new List<HostProcess>();
        try
        {
            var up = Stopwatch.StartNew();
            // The Api migrates the fresh database before the others start, so they do not race to.
            var api = await HostProcess.StartAsync("Api", "api", settings, logs);
            hosts.Add(api);
            await api.WaitReadyAsync(StartTimeout);
            hosts.Add(await HostProcess.StartAsync("Router", "router", settings, logs));
            for (var w = 1; w <= scenario.Workers; w++)
            {
                hosts.Add(await HostProcess.StartAsync("Worker", $"worker-{w}", settings, logs));
            }

            await Task.WhenAll(hosts.Skip(1).Select(h => h.WaitReadyAsync(StartTimeout)));

            using var client = new FleetApiClient(api.BaseUrl, ApiKey);
            var endpointNames = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var e = 0; e < scenario.Endpoints; e++)
            {
                var name = $"{scenario.Name}-{e}";
                var (id, secret) = await client.CreateEndpointAsync(new Uri(receiver.BaseUri, $"hooks/{name}"), scenario.Ordering);
                receiver.Register(name, WebhookSecret.Parse(secret));
                endpointNames[id] = name;
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
            WarmupResult warmup;
            IReadOnlyDictionary<string, RuntimeSeconds> runtimeAtStart;
            IReadOnlyDictionary<string, IReadOnlyList<MessageTimings.Histogram>> timingsAtStart;
            TimeSpan benchGcAtStart;
            var hostIds = hosts.ToDictionary(h => h.ProcessId, h => h.Name);
            try
            {
                warmup = await WarmUpAsync(bus, receiver, hosts, scenario, options, up);
                using (var analyzing = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
                {
                    await AnalyzeAsync(database, analyzing.Token);
                }

                var atStart = await ScrapeAsync(hosts);
                runtimeAtStart = atStart.ToDictionary(s => s.Key, s => RuntimeTime.From(s.Value));
                timingsAtStart = atStart.ToDictionary(s => s.Key, s => MessageTimings.From(s.Value));
                benchGcAtStart = GC.GetTotalPauseDuration();

                receiver.Reset();
                log = receiver.Receipts;
                if (statementsTracked)
                {
                    using var resetting = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    await DatabaseStatements.ResetAsync(database, resetting.Token);
                }

                cpuAtStart = CpuTime.Read(hostIds);
                warmup = warmup with { FleetAgeSeconds = up.Elapsed.TotalSeconds };
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
            var cpu = CpuTime.Read(hostIds).MsPerUnitSince(cpuAtStart, log.Unique);
            var atEnd = await ScrapeAsync(hosts);
            var runtime = atEnd.ToDictionary(s => s.Key, s => RuntimeTime.From(s.Value));
            var timings = MessageTimings.Between(timingsAtStart, atEnd.ToDictionary(s => s.Key, s => MessageTimings.From(s.Value)));
            // The bench process's own GC pauses too: its receiver timestamps every delivery.
            var gcPauseMs = runtime.ToDictionary(r => r.Key, r => (r.Value.GcPause - runtimeAtStart[r.Key].GcPause) * 1000);
            gcPauseMs["bench"] = (GC.GetTotalPauseDuration() - benchGcAtStart).TotalMilliseconds;
            IReadOnlyList<DatabaseStatement>? statements = null;
            if (statementsTracked)
            {
                using var reading = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                statements = await DatabaseStatements.ReadAsync(database, log.Unique, reading.Token);
            }

            var receipts = log.Snapshot();
            // At a fixed rate, where the late deliveries waited: read from the fleet's rows once it is done.
            DeliveryStages? stages = null;
            if (scenario.Rate is not null)
            {
                using var reading = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                stages = await DeliveryStages.ReadAsync(database, endpointNames, receipts, reading.Token);
            }

            var span = receipts.Count > 1 ? (receipts.Max(r => r.Received) - receipts.Min(r => r.Received)).TotalSeconds : 0;
            return new FleetResult(
                scenario, published, expected, log.Unique, log.Duplicates, log.Rejected, complete,
                publishing.TotalSeconds, span, span > 0 ? (receipts.Count - 1) / span : 0,
                LatencyStats.Of(receipts.Select(r => r.LatencyMs).Where(double.IsFinite)),
                hosts.ToDictionary(h => h.Name, h => h.PeakRssMib()),
                cpu,
                warmup,
                runtime.ToDictionary(r => r.Key, r => (r.Value.Jit - runtimeAtStart[r.Key].Jit) * 1000),
                scenario.Rate is null ? null : SecondOfLatency.Of(receipts),
                gcPauseMs,
                stages,
                statements,
                timings);
        }
        finally
        {
            await Task.WhenAll(hosts.Select(h => h.DisposeAsync().AsTask()));
        }
    }

    /// <summary>
    /// Rounds of <see cref="BenchOptions.Warmup"/> events, each waited for, until no host spent more than
    /// <see cref="BenchOptions.WarmupJitShare"/> of a round compiling (or <see cref="BenchOptions.WarmupRounds"/> ran).
    /// A run at a fixed rate then gets paced rounds of <see cref="PacedRound"/> at its rate until one is as quiet: at a
    /// moderate rate the hosts take paths bulk rounds leave cold (batches of one or two, the timers between them), and the
    /// runtime moves methods to optimised code once compiling has been quiet for a moment, which after bulk rounds alone
    /// can first happen inside the measured window (half a second of compiling per worker there in one run). They go on
    /// until the hosts are <see cref="BenchOptions.FleetAge"/> old too: the paths the hosts take on timers are optimised
    /// only after their 30th call, whatever the load.
    /// </summary>
    private static async Task<WarmupResult> WarmUpAsync(
        IBus bus, WebhookReceiver receiver, IReadOnlyList<HostProcess> hosts, FleetScenario scenario, BenchOptions options, Stopwatch up)
    {
        var events = 0;
        var share = new Dictionary<string, double>();
        var rounds = options.Warmup > 0
            ? await UntilQuietAsync(() => EventProducer.PublishAsync(bus, options.Warmup, scenario.Users, options.Concurrency, options.DrainTimeout), TimeSpan.Zero)
            : 0;
        var paced = options.Warmup > 0 && scenario.Rate is { } rate
            ? await UntilQuietAsync(() => EventProducer.PublishPacedAsync(bus, scenario.Users, rate, PacedRound), options.FleetAge)
            : 0;

        var settled = share.Count == 0 || Quiet(share);
        var pacedText = paced > 0 ? string.Create(CultureInfo.InvariantCulture, $" and {paced} paced at {scenario.Rate}/s") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  warm-up: {events} events in {rounds} round(s){pacedText}; share of the last round spent compiling: {string.Join(" ", share.Select(s => $"{s.Key}={s.Value:P1}"))}{(settled ? "" : " (still compiling: figures include JIT)")}"));
        return new WarmupResult(events, rounds, share, settled) { PacedRounds = paced };

        bool Quiet(Dictionary<string, double> jit) => jit.Values.Max() <= options.WarmupJitShare;

        // Rounds, each waited for, until one in which no host spent more than the share compiling, or the most rounds
        // ran, and in any case until the hosts have been up `age`; adds their events and keeps the last
        // round's shares. How many rounds ran.
        async Task<int> UntilQuietAsync(Func<Task<int>> publish, TimeSpan age)
        {
            var ran = 0;
            while (ran < options.WarmupRounds || !OldEnough())
            {
                var before = await RuntimeSecondsAsync(hosts);
                var clock = Stopwatch.StartNew();
                receiver.Reset();
                var warm = await publish();
                if (!await receiver.Receipts.WaitForAsync(warm * scenario.Endpoints, options.DrainTimeout))
                {
                    Console.Error.WriteLine($"  warm-up: {receiver.Receipts.Unique} of {warm * scenario.Endpoints} delivered in time; measuring anyway");
                }

                var after = await RuntimeSecondsAsync(hosts);
                var seconds = clock.Elapsed.TotalSeconds;
                share = after.ToDictionary(a => a.Key, a => (a.Value.Jit - before[a.Key].Jit) / seconds);
                ran++;
                events += warm;
                if (Quiet(share) && OldEnough())
                {
                    break;
                }
            }

            return ran;

            bool OldEnough() => up.Elapsed >= age;
        }
    }

    /// <summary>The length of one paced warm-up round of a run at a fixed rate.</summary>
    private static readonly TimeSpan PacedRound = TimeSpan.FromSeconds(3);

    private static async Task<IReadOnlyDictionary<string, RuntimeSeconds>> RuntimeSecondsAsync(IReadOnlyList<HostProcess> hosts) =>
        (await ScrapeAsync(hosts)).ToDictionary(s => s.Key, s => RuntimeTime.From(s.Value));

    /// <summary>
    /// Gives the run's fresh database the statistics that autovacuum gives any database that has been up a while.
    /// Autovacuum visits a database once a minute at most, and a run's warm-up and measured window can both come
    /// before its first visit. Until then the hosts' prepared statements keep the generic plans they made when the
    /// tables were nearly empty: the worker's claim read its batch by scanning the whole deliveries table (34,000
    /// rows for a batch of 134) in 3 of the 8 bulk stages of two default runs, doubling PostgreSQL's CPU per
    /// delivery. ANALYZE also invalidates those plans, as autovacuum's would.
    /// </summary>
    private static async Task AnalyzeAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("ANALYZE", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>One scrape of each host's <c>/metrics</c>, read by everything measured at that moment.</summary>
    private static async Task<Dictionary<string, PrometheusScrape>> ScrapeAsync(IReadOnlyList<HostProcess> hosts)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var scrapes = new Dictionary<string, PrometheusScrape>();
        foreach (var host in hosts)
        {
            scrapes[host.Name] = PrometheusScrape.Parse(await client.GetStringAsync(new Uri(host.BaseUrl + "/metrics")));
        }

        return scrapes;
    }
}
