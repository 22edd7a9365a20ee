namespace RewardEvents.Benchmarks.Fleet;

/// <summary>
/// What one fleet run delivered, how fast, how late, how much memory each host took, and how many
/// milliseconds of CPU each part of the machine spent per delivery (see <see cref="CpuTime"/>).
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
    IReadOnlyDictionary<string, double> CpuMsPerDelivery);
