namespace RewardEvents.Benchmarks.Fleet;

/// <summary>What one fleet run delivered, how fast, how late, and how much memory each host took.</summary>
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
    IReadOnlyDictionary<string, double> PeakRssMib);
