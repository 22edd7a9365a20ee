using System.Globalization;

namespace RewardEvents.Fleet.Messaging;

/// <summary>Names of the delivery exchange and queues, shared by senders, workers and deployment manifests.</summary>
public static class DeliveryTopology
{
    /// <summary>The consistent-hash exchange keyed by user id (RabbitMQ).</summary>
    public const string Exchange = "rewardevents.deliveries";

    /// <summary>
    /// The router's queue. Every host that publishes what the router consumes declares it and its
    /// bindings too, so an event accepted before the router's first start waits in it instead of
    /// reaching an exchange with no queue behind it (where the broker would confirm and drop it).
    /// </summary>
    public const string RouterQueue = "routing-state";

    /// <summary>The single delivery queue of the in-memory transport.</summary>
    public const string InMemoryQueue = "rewardevents-deliveries";

    public static string PartitionQueue(int partition) =>
        string.Create(CultureInfo.InvariantCulture, $"{Exchange}.p{partition:00}");
}
