using System.Security.Cryptography;

namespace RewardEvents.Webhooks;

/// <summary>TEMP stand-in until the signing work lands.</summary>
public sealed class WebhookSecret
{
    private WebhookSecret(byte[] key) => Key = key;

    /// <summary>TEMP.</summary>
    public byte[] Key { get; }

    /// <summary>TEMP.</summary>
    public static WebhookSecret Generate() => new(RandomNumberGenerator.GetBytes(32));

    /// <summary>TEMP.</summary>
    public static WebhookSecret Parse(string text) => new(Convert.FromBase64String(text.StartsWith("whsec_", StringComparison.Ordinal) ? text[6..] : text));

    /// <inheritdoc/>
    public override string ToString() => "whsec_" + Convert.ToBase64String(Key);
}
