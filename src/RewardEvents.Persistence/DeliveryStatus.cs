namespace RewardEvents.Persistence;

/// <summary>Where a delivery stands. <see cref="Delivered"/> and <see cref="DeadLettered"/> are final.</summary>
public enum DeliveryStatus
{
    /// <summary>Ready to be attempted; if nobody claims it by <c>NextAttemptAt</c> it is dispatched again.</summary>
    Pending = 0,

    /// <summary>Claimed by a worker that is attempting it now, until <c>LeaseUntil</c>.</summary>
    InFlight = 1,

    /// <summary>A failed attempt; the next one is due at <c>NextAttemptAt</c>.</summary>
    Retrying = 2,

    /// <summary>Parked behind an earlier, not yet final delivery for the same endpoint and user.</summary>
    Waiting = 3,

    Delivered = 4,
    DeadLettered = 5,
}
