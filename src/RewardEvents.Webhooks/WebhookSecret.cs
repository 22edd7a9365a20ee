using System.Security.Cryptography;

namespace RewardEvents.Webhooks;

/// <summary>
/// A Standard Webhooks signing secret: random key bytes, written as <c>whsec_</c> followed by their base64.
/// </summary>
public sealed class WebhookSecret
{
    /// <summary>The prefix of a secret's text form.</summary>
    public const string Prefix = "whsec_";

    /// <summary>Bytes of key material in a generated secret (the spec asks for 24 to 64).</summary>
    public const int GeneratedLength = 32;

    private readonly byte[] _key;

    private WebhookSecret(byte[] key) => _key = key;

    /// <summary>The key bytes the HMAC uses.</summary>
    public ReadOnlySpan<byte> Key => _key;

    /// <summary>A new secret from the operating system's cryptographic random generator.</summary>
    public static WebhookSecret Generate() => new(RandomNumberGenerator.GetBytes(GeneratedLength));

    /// <summary>Reads <c>whsec_&lt;base64&gt;</c>, or bare base64 as some libraries print it.</summary>
    /// <exception cref="FormatException">The text is empty or not base64; the message does not repeat it.</exception>
    public static WebhookSecret Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var encoded = text.StartsWith(Prefix, StringComparison.Ordinal) ? text[Prefix.Length..] : text;
        if (encoded.Length == 0)
        {
            throw new FormatException("A webhook secret is 'whsec_' followed by base64 key bytes; the key part was empty.");
        }

        var buffer = new byte[(encoded.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(encoded, buffer, out var written) || written == 0)
        {
            throw new FormatException("A webhook secret is 'whsec_' followed by base64 key bytes; this one is not valid base64.");
        }

        return new WebhookSecret(buffer[..written]);
    }

    /// <summary>The secret's text form, <c>whsec_&lt;base64&gt;</c>. Treat it as a password.</summary>
    public override string ToString() => Prefix + Convert.ToBase64String(_key);
}
