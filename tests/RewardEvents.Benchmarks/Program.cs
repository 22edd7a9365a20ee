using System.Globalization;
using System.Runtime.InteropServices;
using RewardEvents.Benchmarks;
using RewardEvents.Benchmarks.Ceilings;
using RewardEvents.Benchmarks.Fleet;
using RewardEvents.Benchmarks.Micro;
using RewardEvents.Benchmarks.Reporting;
using RewardEvents.Testing;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

// Ctrl+C or SIGTERM ends the run at once. Without this the receiver's web host would take the signal for itself
// and stop, and the run would go on without it. On exit the fleet's hosts, RabbitMQ and PostgreSQL are
// stopped by their guards when they see this process gone (as they are when it is SIGKILLed).
using var interrupted = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupted);
using var terminated = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupted);

var output = Path.IsPathRooted(options.Out) ? options.Out : Path.Combine(RepoPaths.Root, options.Out);
var summary = new BenchSummary { StartedAt = DateTimeOffset.UtcNow, Options = options };

if (options.Micro)
{
    summary = summary with { Micro = MicroBenchmarks.Run(Path.Combine(RepoPaths.Root, "artifacts", "bench", "micro")) };
    Finish(summary);
    return 0;
}

await using var broker = new RabbitMqBroker();
await using var postgres = new PostgresServer { TrackStatements = true }; // which statements take the database's time
Step("starting RabbitMQ and PostgreSQL");
await Task.WhenAll(broker.InitializeAsync().AsTask(), postgres.InitializeAsync().AsTask());
// The tests run their own PostgreSQL without fsync; the product is measured committing to disk as in production.
await postgres.MakeDurableAsync();
summary = summary with { Database = await postgres.SettingsAsync("fsync", "synchronous_commit", "wal_sync_method", "full_page_writes") };
await using var receiver = await WebhookReceiver.StartAsync();
Step($"receiver on {receiver.BaseUri}; RabbitMQ: {broker.Origin}, PostgreSQL: {postgres.Origin} ({string.Join(", ", summary.Database.Select(d => $"{d.Key} {d.Value}"))})");

var body = SampleEvents.WebhookBody(1, options.Users);
var ceilingTimeout = TimeSpan.FromSeconds(options.Smoke ? 20 : 60);
Step($"broker ceiling: {options.CeilingMessages} persistent messages, publisher confirms, concurrency {options.Concurrency}");
summary = summary with { Broker = await BrokerCeiling.MeasureAsync(await broker.CreateVirtualHostAsync("bench-ceiling"), body, options.CeilingMessages, options.Concurrency, options.WarmupRounds, options.WarmupJitShare, ceilingTimeout) };
Step($"MassTransit, for reference: {options.CeilingMessages} events published and consumed, then {options.CeilingMessages} outcome events published to no queue");
var (hop, unrouted) = await MassTransitCeiling.MeasureAsync(
    await broker.CreateVirtualHostAsync("bench-masstransit"), options.CeilingMessages, options.Users, options.Concurrency,
    options.WarmupRounds, options.WarmupJitShare, ceilingTimeout);
summary = summary with { MassTransit = hop, MassTransitUnrouted = unrouted };
Step($"HTTP ceiling: {options.CeilingMessages} signed POSTs, concurrency {options.Concurrency}");
summary = summary with { Http = await HttpCeiling.MeasureAsync(receiver, body, options.CeilingMessages, options.Concurrency, options.WarmupRounds, options.WarmupJitShare, ceilingTimeout) };
summary = summary with { MessagingFloor = MessagingFloor.From(hop, unrouted, summary.Http, options.Endpoints, options.DeliveredEvents) };

var fleet = new List<FleetResult>();
foreach (var ordering in options.Orderings)
{
    foreach (var workers in options.Workers)
    {
        var scenario = new FleetScenario($"{ordering}-w{workers}", ordering, workers, options.Events, options.Users, options.Endpoints);
        Step($"fleet {scenario.Name}: {scenario.Events} events x {scenario.Endpoints} endpoints, {scenario.Users} users");
        var result = await FleetRun.RunAsync(broker, postgres, receiver, scenario, options);
        Step($"  {result.Delivered}/{result.ExpectedDeliveries} delivered, {result.DeliveriesPerSecond:F1}/s, p99 {result.LatencyMs.P99Ms:F0} ms");
        fleet.Add(result);
    }
}

summary = summary with { Fleet = fleet };
var rateScenario = new FleetScenario($"rate-{options.Rate}", options.Orderings[0], options.Workers.Max(), 0, options.Users, options.Endpoints, options.Rate, options.Duration);
Step($"fixed rate: {options.Rate} events/s x {options.Endpoints} endpoints for {options.Duration.TotalSeconds:F0} s ({rateScenario.Ordering}, {rateScenario.Workers} worker(s))");
summary = summary with { FixedRate = await FleetRun.RunAsync(broker, postgres, receiver, rateScenario, options) };

var ceiling = Math.Min(summary.Broker.PerSecond, summary.Http.PerSecond);
summary = summary with { FleetToCeilingRatio = Targets.BestPerUser(fleet) is { } perUser && ceiling > 0 ? perUser / ceiling : null };
summary = summary with { Targets = Targets.Judge(summary) };
Finish(summary);
Console.WriteLine(summary.FleetToCeilingRatio is { } ratio
    ? string.Create(CultureInfo.InvariantCulture, $"fleet/ceiling ratio: {ratio:F2}")
    : "fleet/ceiling ratio: n/a (no per-user fleet run)");
return 0;

static void Interrupted(PosixSignalContext context)
{
    context.Cancel = true;
    Console.Error.WriteLine($"{context.Signal}: benchmark stopped; stopping the fleet, RabbitMQ and PostgreSQL");
    Environment.Exit(context.Signal == PosixSignal.SIGINT ? 130 : 143);
}

void Finish(BenchSummary result)
{
    var json = ReportPrinter.ToJson(result);
    Directory.CreateDirectory(Path.GetDirectoryName(output)!);
    File.WriteAllText(output, json);
    Console.WriteLine();
    Console.WriteLine(ReportPrinter.Table(result));
    Console.WriteLine(json);
    Console.WriteLine($"summary written to {output}");
}

static void Step(string message) => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{DateTime.Now:HH:mm:ss}] {message}"));
