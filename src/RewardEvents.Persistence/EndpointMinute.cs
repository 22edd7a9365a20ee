namespace RewardEvents.Persistence;

/// <summary>
/// The attempts made to one endpoint in one minute whose duration fell in one latency bucket, summed over every worker:
/// what the endpoint's stats read instead of the attempts themselves. Short-circuited attempts (never sent) are not counted.
/// </summary>
public sealed class EndpointMinute
{
    public required string EndpointId { get; init; }

    /// <summary>The minute the attempts started in (UTC, seconds zero).</summary>
    public required DateTime Minute { get; init; }

    /// <summary>The latency bucket: an index into <see cref="LatencyBuckets.UpperBoundsMs"/>, or its length for the slower ones.</summary>
    public required int Bucket { get; init; }

    public int Attempts { get; set; }
    public int Succeeded { get; set; }

    /// <summary>The longest of these attempts, in milliseconds.</summary>
    public int MaxDurationMs { get; set; }

    /// <summary>Adds counts of attempts of the same endpoint, minute and bucket to these.</summary>
    public void Add(int attempts, int succeeded, int maxDurationMs)
    {
        Attempts += attempts;
        Succeeded += succeeded;
        MaxDurationMs = Math.Max(MaxDurationMs, maxDurationMs);
    }

    /// <summary>The start of the minute <paramref name="time"/> falls in (UTC).</summary>
    public static DateTime MinuteOf(DateTime time) => new(time.Ticks - time.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
}

/// <summary>The latency buckets attempts are counted in.</summary>
public static class LatencyBuckets
{
    /// <summary>Each bucket's upper bound (inclusive), in milliseconds; one more bucket takes everything slower.</summary>
    public static readonly IReadOnlyList<int> UpperBoundsMs = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000];

    public static int Of(int durationMs)
    {
        for (var i = 0; i < UpperBoundsMs.Count; i++)
        {
            if (durationMs <= UpperBoundsMs[i])
            {
                return i;
            }
        }

        return UpperBoundsMs.Count;
    }
}
