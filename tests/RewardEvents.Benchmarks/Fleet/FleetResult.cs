namespace RewardEvents.Benchmarks.Fleet;

/// <summary>
/// What one fleet run delivered, how fast, how late, how much memory each host took, and how many
/// milliseconds of CPU each part of the machine spent per delivery (see <see cref="CpuTime"/>), after what
/// warm-up, how many milliseconds each host still spent compiling during the measured run, and how many milliseconds
/// each host and the bench process itself were paused for garbage collection in it, (at a fixed rate) where the
/// deliveries spent their time, and which statements took the database's time.
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
    IReadOnlyDictionary<string, double> JitMsDuringRun,
    IReadOnlyList<SecondOfLatency>? LatencyBySecond = null,
    IReadOnlyDictionary<string, double>? GcPauseMsDuringRun = null,
    DeliveryStages? Stages = null,
    IReadOnlyList<DatabaseStatement>? DatabaseStatements = null,
    IReadOnlyList<MessageTiming>? MessageTimings = null);

/// <summary>
/// The deliveries received in one second of a fixed-rate run (counted from its first receipt) and their
/// latency: whether a run's tail is spread evenly or comes from a few bad seconds.
/// </summary>
public sealed record SecondOfLatency(int Second, DateTimeOffset At, int Count, double P50Ms, double P99Ms, double MaxMs)
{
    public static IReadOnlyList<SecondOfLatency> Of(IReadOnlyList<Receipt> receipts)
    {
        ArgumentNullException.ThrowIfNull(receipts);
        if (receipts.Count == 0)
        {
            return [];
        }

        var start = receipts.Min(r => r.Received);
        return receipts
            .Where(r => double.IsFinite(r.LatencyMs))
            .GroupBy(r => (int)(r.Received - start).TotalSeconds)
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var stats = LatencyStats.Of(g.Select(r => r.LatencyMs));
                return new SecondOfLatency(g.Key, start.AddSeconds(g.Key), stats.Count, Math.Round(stats.P50Ms, 1), Math.Round(stats.P99Ms, 1), Math.Round(stats.MaxMs, 1));
            })
            .ToList();
    }
}

/// <summary>
/// How the run warmed up: events and rounds before the clock started, each host's share of the last
/// round spent compiling, and whether that share had fallen to the threshold.
/// </summary>
public sealed record WarmupResult(int Events, int Rounds, IReadOnlyDictionary<string, double> JitShareOfLastRound, bool Settled)
{
    /// <summary>Rounds at the run's fixed rate after the bulk ones (none for a bulk run).</summary>
    public int PacedRounds { get; init; }

    /// <summary>How long the fleet's hosts had been up when the measured window opened, in seconds.</summary>
    public double FleetAgeSeconds { get; init; }
}
