using System.Collections.Concurrent;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Workers;

/// <summary>The retry schedule in force for an endpoint: its own, or the fleet's default.</summary>
internal static class EndpointSchedules
{
    private static readonly ConcurrentDictionary<string, RetrySchedule> Parsed = new(StringComparer.Ordinal);

    public static RetrySchedule For(WebhookEndpoint endpoint, DeliveryOptions options) =>
        Parsed.GetOrAdd(endpoint.RetrySchedule ?? options.RetrySchedule, RetrySchedule.Parse);
}
