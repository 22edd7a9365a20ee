namespace RewardEvents.Benchmarks.Fleet;

/// <summary>
/// What one fleet run delivered, how fast, how late, how much memory each host took, and how many
/// milliseconds of CPU each part of the machine spent per delivery (see <see cref="CpuTime"/>), after what
/// warm-up, and how many milliseconds each host still spent compiling during the measured run.
/// </summary>
public sealed record FleetResult(
    FleetScenario Scenario,
    int EventsPublished,
    int ExpectedDeliveries,
    int Delivered,
    int Duplicates,
    int Rejected,
    bool Complete,
    double PublishSeconds,
    double DeliverySeconds,
    double DeliveriesPerSecond,
    LatencyStats LatencyMs,
    IReadOnlyDictionary<string, double> PeakRssMib,
    IReadOnlyDictionary<string, double> CpuMsPerDelivery,
    WarmupResult Warmup,
    IReadOnlyDictionary<string, double> JitMsDuringRun);

/// <summary>
/// How the run warmed up: events and rounds before the clock started, each host's share of the last
/// round spent compiling, and whether that share had fallen to the threshold.
/// </summary>
public sealed record WarmupResult(int Events, int Rounds, IReadOnlyDictionary<string, double> JitShareOfLastRound, bool Settled);
