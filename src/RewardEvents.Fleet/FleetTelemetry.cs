using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using RewardEvents.ServiceDefaults;

namespace RewardEvents.Fleet;

/// <summary>
/// The fleet's own spans and metrics (ActivitySource and Meter <c>RewardEvents</c>). Labels are
/// bounded: event type, endpoint id, outcome class, never a user or an event id.
/// </summary>
public static class FleetTelemetry
{
    public static readonly ActivitySource Source = new(ServiceDefaultsExtensions.TelemetryName);
    public static readonly Meter Meter = new(ServiceDefaultsExtensions.TelemetryName);

    public static readonly Counter<long> EventsIngested =
        Meter.CreateCounter<long>("rewardevents.events.ingested", "{event}", "Events accepted by the ingest API, by type.");

    public static readonly Counter<long> EventsRouted =
        Meter.CreateCounter<long>("rewardevents.events.routed", "{event}", "Events routed to their endpoints, by type.");

    public static readonly Counter<long> EventsExpired =
        Meter.CreateCounter<long>("rewardevents.events.expired", "{event}", "Events deleted with their deliveries and attempts once past Retention:Period.");

    public static readonly Counter<long> Attempts =
        Meter.CreateCounter<long>("rewardevents.deliveries.attempts", "{attempt}", "Delivery attempts, by endpoint and outcome class (success, retry, dead_letter, disabled).");

    public static readonly Counter<long> Delivered =
        Meter.CreateCounter<long>("rewardevents.deliveries.delivered", "{delivery}", "Deliveries that reached their endpoint.");

    public static readonly Counter<long> DeadLettered =
        Meter.CreateCounter<long>("rewardevents.deliveries.dead_lettered", "{delivery}", "Deliveries given up after their schedule.");

    public static readonly Histogram<double> AttemptDuration =
        Meter.CreateHistogram<double>("rewardevents.attempt.duration", "ms", "Duration of one webhook POST.");

    public static readonly Histogram<double> DeliveryLatency =
        Meter.CreateHistogram<double>("rewardevents.delivery.latency", "ms", "From the router accepting an event to its endpoint answering 2xx.");

    /// <summary>Written by each worker's schedule sweep; read by the observable gauges.</summary>
    internal static volatile FleetGauges Gauges = FleetGauges.Empty;

    static FleetTelemetry()
    {
        Meter.CreateObservableGauge("rewardevents.deliveries.waiting", () => Gauges.Waiting.Select(w => new Measurement<long>(w.Value, new KeyValuePair<string, object?>("endpoint_id", w.Key))),
            "{delivery}", "Deliveries not yet final, per endpoint: ready, retrying, or parked behind a user's earlier delivery.");
        Meter.CreateObservableGauge("rewardevents.endpoints.circuits_open", () => Gauges.OpenCircuits, "{endpoint}", "Endpoints whose circuit is open.");
        Meter.CreateObservableGauge("rewardevents.endpoints.disabled", () => Gauges.DisabledEndpoints, "{endpoint}", "Disabled endpoints.");
        Meter.CreateObservableGauge("rewardevents.partitions.held", () => Gauges.PartitionsHeld, "{partition}", "Partition queues this worker consumes.");
    }

    /// <summary>User ids are personal data: spans carry a short hash unless configuration allows the raw id.</summary>
    public static string HashUser(string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(userId), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }
}

/// <summary>A snapshot of the fleet's backlog and health, refreshed by the schedule sweep.</summary>
internal sealed record FleetGauges(IReadOnlyDictionary<string, long> Waiting, long OpenCircuits, long DisabledEndpoints, long PartitionsHeld)
{
    public static readonly FleetGauges Empty = new(new Dictionary<string, long>(), 0, 0, 0);
}
