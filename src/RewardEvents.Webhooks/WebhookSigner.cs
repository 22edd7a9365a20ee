using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RewardEvents.Webhooks;

/// <summary>TEMP stand-in until the signing work lands.</summary>
public sealed class WebhookSigner
{
    private readonly WebhookSecret[] _secrets;

    /// <summary>TEMP.</summary>
    public WebhookSigner(params WebhookSecret[] secrets) => _secrets = secrets;

    /// <summary>TEMP.</summary>
    public string Sign(string webhookId, DateTimeOffset timestamp, ReadOnlySpan<byte> body)
    {
        var content = Encoding.UTF8.GetBytes($"{webhookId}.{timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}.").Concat(body.ToArray()).ToArray();
        return string.Join(' ', _secrets.Select(s => "v1," + Convert.ToBase64String(HMACSHA256.HashData(s.Key, content))));
    }
}
