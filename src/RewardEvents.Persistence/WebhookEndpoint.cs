namespace RewardEvents.Persistence;

/// <summary>A receiver's URL and what it subscribes to. Soft-deleted so its history stays readable.</summary>
public sealed class WebhookEndpoint
{
    public required string Id { get; init; }
    public required string Url { get; set; }
    public string? Description { get; set; }

    /// <summary>Comma-separated event types; empty means every type.</summary>
    public string EventTypes { get; set; } = "";

    public EndpointOrdering Ordering { get; set; } = EndpointOrdering.PerUser;

    /// <summary>
    /// The signing secrets, encrypted at rest by the fleet (Data Protection); rows written before
    /// encryption hold <c>whsec_…</c> strings separated by spaces, current first, and still work.
    /// </summary>
    public required string Secrets { get; set; }

    /// <summary>Optional trigger expression (JSON) an event must satisfy besides its type; null matches all.</summary>
    public string? Trigger { get; set; }

    /// <summary>Optional custom headers sent with each webhook, as a JSON object of strings.</summary>
    public string? Headers { get; set; }

    /// <summary>Optional ceiling on deliveries per second across all workers; null is unlimited.</summary>
    public double? RateLimit { get; set; }

    /// <summary>The earliest time the next rate-limited delivery may go out, advanced by conditional updates.</summary>
    public DateTime? NextSlotAt { get; set; }

    /// <summary>Optional per-endpoint retry schedule (e.g. <c>1s,2s,5s</c>); null uses the fleet default.</summary>
    public string? RetrySchedule { get; set; }

    public bool Enabled { get; set; } = true;
    public string? DisabledReason { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime? DeletedAt { get; set; }

    /// <summary>Consecutive failed attempts; reset by any success. Drives the circuit breaker.</summary>
    public int ConsecutiveFailures { get; set; }

    /// <summary>When the current run of failures began; drives automatic disabling.</summary>
    public DateTime? FailingSince { get; set; }

    /// <summary>While set and in the future, the circuit is open: only one probe delivery goes out.</summary>
    public DateTime? CircuitOpenUntil { get; set; }

    public int Version { get; set; }

    public IEnumerable<string> EventTypeList =>
        EventTypes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public bool Subscribes(string eventType)
    {
        if (EventTypes.Length == 0)
        {
            return true;
        }

        foreach (var type in EventTypeList)
        {
            if (string.Equals(type, eventType, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
