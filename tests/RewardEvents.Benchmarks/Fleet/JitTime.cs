using System.Globalization;

namespace RewardEvents.Benchmarks.Fleet;

/// <summary>
/// Seconds a host has spent compiling methods (the runtime's <c>dotnet.jit.compilation.time</c>),
/// read from its Prometheus scrape. A young .NET process keeps compiling for tens of seconds under
/// load (first calls, then hot methods again with full optimisation); the warm-up runs until that
/// has died down, so the measured run shows the fleet as it runs after its first minute.
/// </summary>
public static class JitTime
{
    private const string Series = "dotnet_jit_compilation_time_seconds_total";

    public static async Task<double> ReadAsync(HttpClient client, HostProcess host)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(host);
        var scrape = await client.GetStringAsync(new Uri(host.BaseUrl + "/metrics"));
        return Sum(scrape);
    }

    /// <summary>The series' value summed over its labels; an exporter without the series is an error, not zero.</summary>
    public static double Sum(string scrape)
    {
        ArgumentNullException.ThrowIfNull(scrape);
        double? total = null;
        foreach (var line in scrape.Split('\n'))
        {
            if (!line.StartsWith(Series, StringComparison.Ordinal) || line.Length == Series.Length || line[Series.Length] is not (' ' or '{'))
            {
                continue;
            }

            // name{labels} value [timestamp]
            var afterLabels = line[Series.Length] == '{' ? line[(line.IndexOf('}', StringComparison.Ordinal) + 1)..] : line[Series.Length..];
            var value = afterLabels.Trim().Split(' ')[0];
            total = (total ?? 0) + double.Parse(value, CultureInfo.InvariantCulture);
        }

        return total ?? throw new InvalidOperationException($"The host's /metrics has no {Series}.");
    }
}
