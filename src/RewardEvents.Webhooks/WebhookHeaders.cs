namespace RewardEvents.Webhooks;

/// <summary>The Standard Webhooks header names.</summary>
public static class WebhookHeaders
{
    /// <summary>The message id, the same on every attempt: receivers dedupe on it.</summary>
    public const string Id = "webhook-id";

    /// <summary>Unix seconds when the attempt was signed.</summary>
    public const string Timestamp = "webhook-timestamp";

    /// <summary>Space-separated <c>v1,&lt;base64&gt;</c> signatures, one per active secret.</summary>
    public const string Signature = "webhook-signature";
}
