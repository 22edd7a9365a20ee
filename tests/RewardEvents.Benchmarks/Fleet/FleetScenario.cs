namespace RewardEvents.Benchmarks.Fleet;

/// <summary>
/// One fleet run. Without a rate the producer publishes <see cref="Events"/> as fast as its bounded
/// concurrency allows (throughput); with one it paces <see cref="Rate"/> events/s for <see cref="Duration"/> (latency).
/// </summary>
public sealed record FleetScenario(string Name, string Ordering, int Workers, int Events, int Users, int Endpoints, int? Rate = null, TimeSpan? Duration = null);
