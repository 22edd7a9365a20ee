using RewardEvents.Testing;

namespace RewardEvents.Benchmarks.Fleet;

/// <summary>
/// Seconds a host has spent compiling methods (the runtime's <c>dotnet.jit.compilation.time</c>) and paused for
/// garbage collection (<c>dotnet.gc.pause.time</c>), read from its Prometheus scrape. A young .NET process keeps
/// compiling for tens of seconds under load (first calls, then hot methods again with full optimisation); the warm-up
/// runs until that has died down, so the measured run shows the fleet as it runs after its first minute. GC pauses
/// stop every thread of a host, so they go straight into the latency of whatever it was handling.
/// </summary>
public static class RuntimeTime
{
    public const string Jit = "dotnet_jit_compilation_time_seconds_total";
    public const string GcPause = "dotnet_gc_pause_time_seconds_total";

    public static async Task<double> ReadAsync(HttpClient client, HostProcess host, string series)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(host);
        var scrape = await client.GetStringAsync(new Uri(host.BaseUrl + "/metrics"));
        return Sum(scrape, series);
    }

    /// <summary>The series' value summed over its labels; an exporter without the series is an error, not zero.</summary>
    public static double Sum(string scrape, string series)
    {
        var samples = PrometheusScrape.Parse(scrape);
        return samples.Has(series)
            ? samples.Sum(series)
            : throw new InvalidOperationException($"The host's /metrics has no {series}.");
    }
}
