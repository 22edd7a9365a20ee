using System.ComponentModel.DataAnnotations;

namespace RewardEvents.Fleet;

/// <summary>
/// Configuration section <c>Retention</c>: how long an event's record (its routing, deliveries and attempts) is kept
/// once every delivery of it is final. Routers delete what is older, in batches.
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>The least time that can be set, other than zero (which keeps everything).</summary>
    public static readonly TimeSpan ShortestPeriod = TimeSpan.FromHours(1);

    /// <summary>
    /// How long after its last delivery became final an event is kept; zero keeps every event for ever. An event id
    /// published again is recognised as a duplicate only while its routing is kept.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often a router looks for events past the period.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Events deleted per transaction; a sweep deletes batch after batch until none is left or it has done <see cref="MaxBatchesPerSweep"/>.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>Batches one sweep deletes at most, so a large backlog (retention just turned on) is worked off over several sweeps.</summary>
    [Range(1, 10_000)]
    public int MaxBatchesPerSweep { get; set; } = 20;

    public bool Enabled => Period > TimeSpan.Zero;
}
