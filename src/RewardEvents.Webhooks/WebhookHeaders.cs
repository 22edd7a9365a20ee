namespace RewardEvents.Webhooks;

/// <summary>TEMP stand-in until the signing work lands.</summary>
public static class WebhookHeaders
{
    /// <summary>TEMP.</summary>
    public const string Id = "webhook-id";

    /// <summary>TEMP.</summary>
    public const string Timestamp = "webhook-timestamp";

    /// <summary>TEMP.</summary>
    public const string Signature = "webhook-signature";
}
