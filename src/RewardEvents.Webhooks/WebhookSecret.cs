namespace RewardEvents.Webhooks;

/// <summary>Placeholder; replaced by the signing work.</summary>
public static class WebhookSecret
{
}
