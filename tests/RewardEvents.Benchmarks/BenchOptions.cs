using System.Globalization;

namespace RewardEvents.Benchmarks;

/// <summary>The command line: sizes of each stage, and which fleet runs make up the matrix.</summary>
public sealed record BenchOptions
{
    public int Events { get; init; } = 2000;

    public int Users { get; init; } = 200;

    /// <summary>
    /// Events of one warm-up round. Each fleet run delivers rounds of these before its clock starts,
    /// until its hosts have compiled their hot paths and filled their pools, as a fleet that has been
    /// up for a while has (see <see cref="WarmupJitShare"/>).
    /// </summary>
    public int Warmup { get; init; } = 1000;

    /// <summary>Warm-up ends after the first round in which no host spent more than this share of the time compiling.</summary>
    public double WarmupJitShare { get; init; } = 0.02;

    /// <summary>At most this many warm-up rounds; the report says when the hosts were still compiling.</summary>
    public int WarmupRounds { get; init; } = 12;

    public int Endpoints { get; init; } = 3;

    /// <summary>Worker process counts of the fleet matrix.</summary>
    public IReadOnlyList<int> Workers { get; init; } = [1, 2];

    /// <summary>Endpoint orderings of the fleet matrix: "per-user" and/or "none".</summary>
    public IReadOnlyList<string> Orderings { get; init; } = ["per-user", "none"];

    /// <summary>Events per second of the fixed-rate latency stage.</summary>
    public int Rate { get; init; } = 200;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The fixed-rate run's paced warm-up goes on until its hosts have been up this long. The runtime moves a method to
    /// optimised code after its 30th call, so a path the hosts take on a timer rather than per message (the stats flush
    /// every 5 s, the partition heartbeat every 2 s, the sweeps every second) is first optimised 30 periods after the
    /// start: in a younger fleet that happens inside the measured window whatever the load before it. The default is 30
    /// of the 5-s flushes and a margin.
    /// </summary>
    public TimeSpan FleetAge { get; init; } = TimeSpan.FromSeconds(170);

    /// <summary>Messages (broker) and requests (HTTP) of the ceiling stages.</summary>
    public int CeilingMessages { get; init; } = 5000;

    /// <summary>In-flight publishes or requests, for the ceilings and the fleet producer alike.</summary>
    public int Concurrency { get; init; } = 32;

    /// <summary>How long one fleet run may wait for its last delivery before it reports what arrived.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>Appended to the fleet hosts' PostgreSQL connection string, to compare settings (e.g. <c>Max Auto Prepare=0</c>).</summary>
    public string DatabaseOptions { get; init; } = "";

    /// <summary>
    /// Run the workers with <c>Delivery:PublishDeliveredEvents=true</c>: a <c>WebhookDelivered</c> per delivery, which no
    /// queue takes here (off by default, as in the product).
    /// </summary>
    public bool DeliveredEvents { get; init; }

    public bool Smoke { get; init; }

    public bool Micro { get; init; }

    public string Out { get; init; } = Path.Combine("artifacts", "bench", "summary.json");

    public const string Usage =
        "usage: bench [--events N] [--users U] [--warmup N] [--warmup-rounds R] [--endpoints E] [--workers W] [--ordering per-user|none]\n"
        + "             [--rate R] [--duration S] [--fleet-age S] [--ceiling-messages N] [--concurrency C] [--database-options \"K=V;...\"] [--delivered-events] [--smoke] [--micro] [--out file.json]\n"
        + "  default: broker and HTTP ceilings, fleet matrix (per-user, none) x (1, 2 workers), then R events/s for S seconds.\n"
        + "  --fleet-age S: the fixed-rate run warms up at its rate until its hosts have run S seconds (default 170).\n"
        + "  --delivered-events: the workers publish a WebhookDelivered per delivery (off by default, as in the product).\n"
        + "  --smoke: a tiny run for CI. --micro: only the BenchmarkDotNet micro-benchmarks.";

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var smoke = args.Contains("--smoke");
        var options = smoke
            ? new BenchOptions
            {
                Smoke = true, Events = 40, Users = 8, Warmup = 4, WarmupRounds = 1, Endpoints = 2, Workers = [1], Orderings = ["per-user"],
                Rate = 10, Duration = TimeSpan.FromSeconds(4), FleetAge = TimeSpan.Zero, CeilingMessages = 500, Concurrency = 8,
                DrainTimeout = TimeSpan.FromSeconds(20),
            }
            : new BenchOptions();

        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.\n{Usage}");
            int Number() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw new ArgumentException($"{name} needs a positive whole number.\n{Usage}");
            int WholeNumber() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new ArgumentException($"{name} needs a whole number.\n{Usage}");

            options = name switch
            {
                "--smoke" => options,
                "--micro" => options with { Micro = true },
                "--delivered-events" => options with { DeliveredEvents = true },
                "--events" => options with { Events = Number() },
                "--users" => options with { Users = Number() },
                "--warmup" => options with { Warmup = WholeNumber() },
                "--warmup-rounds" => options with { WarmupRounds = Number() },
                "--endpoints" => options with { Endpoints = Number() },
                "--workers" => options with { Workers = [Number()] },
                "--ordering" => options with { Orderings = [Ordering(Value())] },
                "--rate" => options with { Rate = Number() },
                "--duration" => options with { Duration = TimeSpan.FromSeconds(Number()) },
                "--fleet-age" => options with { FleetAge = TimeSpan.FromSeconds(WholeNumber()) },
                "--ceiling-messages" => options with { CeilingMessages = Number() },
                "--concurrency" => options with { Concurrency = Number() },
                "--database-options" => options with { DatabaseOptions = ";" + Value().TrimStart(';') },
                "--out" => options with { Out = Value() },
                _ => throw new ArgumentException($"Unknown argument '{name}'.\n{Usage}"),
            };
        }

        return options;
    }

    private static string Ordering(string value) => value is "per-user" or "none"
        ? value
        : throw new ArgumentException($"--ordering is 'per-user' or 'none', not '{value}'.\n{Usage}");
}
