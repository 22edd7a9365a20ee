using RewardEvents.Testing;

namespace RewardEvents.Benchmarks.Fleet;

/// <summary>
/// Seconds a host has spent compiling methods (the runtime's <c>dotnet.jit.compilation.time</c>) and paused for
/// garbage collection (<c>dotnet.gc.pause.time</c>), read from one Prometheus scrape of the host. A young .NET process keeps
/// compiling for tens of seconds under load (first calls, then hot methods again with full optimisation); the warm-up
/// runs until that has died down, so the measured run shows the fleet as it runs after its first minute. GC pauses
/// stop every thread of a host, so they go straight into the latency of whatever it was handling.
/// </summary>
public static class RuntimeTime
{
    private const string JitSeries = "dotnet_jit_compilation_time_seconds_total";
    private const string GcPauseSeries = "dotnet_gc_pause_time_seconds_total";

    public static RuntimeSeconds From(PrometheusScrape samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return new RuntimeSeconds(Sum(samples, JitSeries), Sum(samples, GcPauseSeries));
    }

    /// <summary>The series' value summed over its labels; an exporter without the series is an error, not zero.</summary>
    private static double Sum(PrometheusScrape samples, string series) =>
        samples.Has(series)
            ? samples.Sum(series)
            : throw new InvalidOperationException($"The host's /metrics has no {series}.");
}

/// <summary>A host's seconds spent compiling and paused for GC since it started.</summary>
public readonly record struct RuntimeSeconds(double Jit, double GcPause);
