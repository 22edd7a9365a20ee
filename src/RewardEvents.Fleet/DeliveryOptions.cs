using System.ComponentModel.DataAnnotations;

namespace RewardEvents.Fleet;

/// <summary>Configuration section <c>Delivery</c>: how workers deliver and retry.</summary>
public sealed class DeliveryOptions
{
    public const string Section = "Delivery";

    /// <summary>Number of partition queues deliveries are hashed onto by user id.</summary>
    [Range(1, 256)]
    public int Partitions { get; set; } = 16;

    /// <summary>Per-request timeout of a webhook POST.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Allow endpoints on loopback and private networks (development and tests only).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>
    /// Networks (CIDR, e.g. <c>10.20.0.0/16</c>) allowed as destinations although not public: on-premises
    /// receivers. Narrower than <see cref="AllowPrivateNetworks"/>, and the only way to reach a metadata address.
    /// </summary>
    public IList<string> AllowedSubnets { get; } = [];

    /// <summary>Refuse http endpoint URLs when saved and at send time (on in production settings).</summary>
    public bool RequireHttps { get; set; }

    /// <summary>Delays before each retry, e.g. <c>5s,5m,30m</c>; the first attempt is always immediate.</summary>
    [Required]
    public string RetrySchedule { get; set; } = Workers.RetrySchedule.DefaultText;

    /// <summary>Fraction of each delay added or removed at random, so retries of many deliveries spread out.</summary>
    [Range(0.0, 0.5)]
    public double Jitter { get; set; } = 0.2;

    /// <summary>Bytes of a receiver's response body kept with each attempt.</summary>
    [Range(0, 65536)]
    public int MaxResponseBodyBytes { get; set; } = 4096;

    /// <summary>A ready delivery that no worker has claimed after this long is dispatched again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan DispatchGrace { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often a router marks routed events whose deliveries are all final as completed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan CompletionInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a worker adds its counts of attempts to the table endpoint stats read (<c>endpoint_minutes</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan StatsFlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a worker looks for due retries and stalled deliveries.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan SchedulerInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Messages one worker handles at once on one partition. A message is one delivery, or an event's whole
    /// fan-out (a <c>DeliverWebhookBatch</c>), so up to this many times the endpoints per event may be in flight.
    /// It is also the partition's prefetch: the broker hands over no more unacknowledged messages than this.
    /// </summary>
    [Range(1, 256)]
    public int ConcurrencyPerPartition { get; set; } = 8;

    /// <summary>
    /// How long past the request timeout a claimed attempt stays leased; a worker that dies mid-request
    /// frees its delivery for another when the lease ends.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan LeaseMargin { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a worker heartbeats and rebalances the partitions.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A worker silent for this long is considered dead and its partitions move.</summary>
    /// <summary>
    /// How long messages may wait in a queue whose endpoint in this process finishes none before the
    /// endpoint counts as stuck and is reconnected (see <c>ReceiveEndpointWatchdog</c>). Longer than a
    /// webhook request can take, so a slow receiver never looks like a stuck endpoint.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan StalledEndpointTimeout { get; set; } = TimeSpan.FromSeconds(45);

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan WorkerTimeout { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>
    /// Publish a <c>WebhookDelivered</c> for every successful delivery, for services that subscribe to them. Off by
    /// default: nothing in the fleet consumes them, and a broker message per delivery is about 8 % of the fleet's CPU
    /// at three endpoints per event (RabbitMQ takes in, confirms and drops one that no queue is bound for). Dead
    /// letters (<c>WebhookDeliveryDeadLettered</c>) and the fleet's operational events are always published.
    /// </summary>
    public bool PublishDeliveredEvents { get; set; }

    /// <summary>
    /// Write the messages that hand deliveries to workers to the broker's disk. Off by default: such a message only
    /// wakes a worker for a delivery the database already holds, and the schedule sweep sends again any delivery no
    /// worker has claimed within <see cref="DispatchGrace"/>; a worker that sees its broker connection come back sends
    /// every unclaimed delivery again at once, as a broker restart drops the messages in its queues. None is lost. On,
    /// they survive the restart, for about half as much again of RabbitMQ's CPU per delivery (each is written and
    /// synced before the broker confirms it).
    /// </summary>
    public bool PersistentDispatch { get; set; }

    /// <summary>Record raw user ids in traces; by default spans carry a short hash (user ids are personal data).</summary>
    public bool RecordUserIdsInTraces { get; set; }

    /// <summary>Consecutive failures after which an endpoint's circuit opens.</summary>
    [Range(1, 1000)]
    public int CircuitBreakerThreshold { get; set; } = 5;

    /// <summary>An endpoint failing without a break for this long is disabled.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);

    /// <summary>How long a rotated-out endpoint secret keeps signing alongside the new one, unless the rotation says otherwise.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan SecretRotationGrace { get; set; } = TimeSpan.FromHours(24);
}
