using RewardEvents.Benchmarks.Fleet;

namespace RewardEvents.Benchmarks.Reporting;

/// <summary>
/// One of the targets set for a 2-core machine that runs broker, database, fleet, producer and receiver at once, judged
/// from the figures of the run that prints it. <see cref="Met"/> is null when the run measured nothing to judge by (no
/// per-user run, no fixed-rate run) or measured it under other conditions than the target's (<see cref="Note"/> says which).
/// </summary>
public sealed record TargetCheck(string Name, string Unit, bool AtLeast, double Threshold, double? Value, string? Note = null)
{
    public bool? Met => Value is { } value && Note is null ? (AtLeast ? value >= Threshold : value <= Threshold) : null;
}

/// <summary>The targets, judged from a run's summary.</summary>
public static class Targets
{
    public const double DeliveriesPerSecond = 3000;
    public const double ShareOfLowerCeiling = 0.25;
    public const double P99Ms = 100;
    public const double OfferedDeliveriesPerSecond = 600;
    public const double WorkerRssMegabytes = 250;

    private const double BytesPerMib = 1024 * 1024;

    /// <summary>The best deliveries/s of the runs with per-user order; null when there was none. The ratio is taken of it too.</summary>
    public static double? BestPerUser(IEnumerable<FleetResult> fleet) =>
        fleet.Where(r => r.Scenario.Ordering == "per-user").Select(r => (double?)r.DeliveriesPerSecond).Max();

    public static IReadOnlyList<TargetCheck> Judge(BenchSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var fixedRate = summary.FixedRate;
        var offered = fixedRate?.Scenario.Rate * fixedRate?.Scenario.Endpoints;
        var workers = summary.Fleet.Append(fixedRate).OfType<FleetResult>()
            .SelectMany(r => r.PeakRssMib).Where(h => h.Key.StartsWith("worker", StringComparison.Ordinal)).ToList();
        return
        [
            new("deliveries/s with per-user order (best run)", "/s", AtLeast: true, DeliveriesPerSecond, BestPerUser(summary.Fleet)),
            new("fleet / lower ceiling", "", AtLeast: true, ShareOfLowerCeiling, summary.FleetToCeilingRatio),
            new($"p99 publish to receipt at {OfferedDeliveriesPerSecond:F0} deliveries/s offered", " ms", AtLeast: false, P99Ms,
                fixedRate?.LatencyMs.P99Ms,
                offered is { } rate && rate != OfferedDeliveriesPerSecond ? $"not judged: this run offered {rate}/s" : null),
            new("worker peak RSS (largest)", " MB", AtLeast: false, WorkerRssMegabytes,
                workers.Count == 0 ? null : workers.Max(h => h.Value) * BytesPerMib / 1e6),
        ];
    }
}
