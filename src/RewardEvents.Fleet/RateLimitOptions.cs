using System.ComponentModel.DataAnnotations;

namespace RewardEvents.Fleet;

/// <summary>Configuration section <c>Security:RateLimit</c>: requests each API key may make (a token bucket per key).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Security:RateLimit";

    /// <summary>Sustained requests per second per key.</summary>
    [Range(1, 1_000_000)]
    public int PermitsPerSecond { get; set; } = 1000;

    /// <summary>Requests a key may make at once above the sustained rate (the bucket's size).</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 2000;
}
