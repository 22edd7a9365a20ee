using RewardEvents.Benchmarks.Ceilings;
using RewardEvents.Benchmarks.Fleet;
using RewardEvents.Benchmarks.Micro;

namespace RewardEvents.Benchmarks.Reporting;

/// <summary>Everything one run measured; written as artifacts/bench/summary.json.</summary>
public sealed record BenchSummary
{
    public DateTimeOffset StartedAt { get; init; }

    public string Machine { get; init; } = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";

    public BenchOptions? Options { get; init; }

    /// <summary>The PostgreSQL server's durability settings the run measured with (fsync, synchronous_commit, ...).</summary>
    public IReadOnlyDictionary<string, string> Database { get; init; } = new Dictionary<string, string>();

    public CeilingResult? Broker { get; init; }

    public CeilingResult? Http { get; init; }

    /// <summary>One MassTransit hop (publish, consume, nothing else), for reference; not in the ratio.</summary>
    public CeilingResult? MassTransit { get; init; }

    /// <summary>A MassTransit publish that no queue takes (the fleet's outcome events here), for reference; not in the ratio.</summary>
    public CeilingResult? MassTransitUnrouted { get; init; }

    /// <summary>What the fleet's messages and requests alone cost per delivery at those rates, and the throughput that bounds.</summary>
    public MessagingFloor? MessagingFloor { get; init; }

    public IReadOnlyList<FleetResult> Fleet { get; init; } = [];

    public FleetResult? FixedRate { get; init; }

    public IReadOnlyList<MicroResult> Micro { get; init; } = [];

    /// <summary>Best per-user fleet deliveries/s over the slower of the broker and HTTP ceilings.</summary>
    public double? FleetToCeilingRatio { get; init; }

    /// <summary>The targets for a 2-core machine, judged from this run's figures (<see cref="Reporting.Targets"/>).</summary>
    public IReadOnlyList<TargetCheck> Targets { get; init; } = [];
}
