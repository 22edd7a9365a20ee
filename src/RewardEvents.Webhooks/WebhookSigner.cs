using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RewardEvents.Webhooks;

/// <summary>
/// Signs webhooks per Standard Webhooks: HMAC-SHA256 over <c>{id}.{timestamp}.{body}</c>, written as
/// <c>v1,&lt;base64&gt;</c>. With several secrets (during rotation) it writes one signature per secret,
/// separated by spaces, so receivers holding either secret accept the message.
/// </summary>
public sealed class WebhookSigner
{
    private readonly WebhookSecret[] _secrets;

    /// <summary>A signer for one or more secrets, the current one first.</summary>
    /// <exception cref="ArgumentException">No secret was given.</exception>
    public WebhookSigner(params WebhookSecret[] secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (secrets.Length == 0)
        {
            throw new ArgumentException("At least one secret is needed to sign.", nameof(secrets));
        }

        _secrets = secrets;
    }

    /// <summary>The <c>webhook-signature</c> header value for one attempt.</summary>
    public string Sign(string webhookId, DateTimeOffset timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(webhookId);
        var seconds = timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var prefixLength = Encoding.UTF8.GetByteCount(webhookId) + seconds.Length + 2;
        var rented = ArrayPool<byte>.Shared.Rent(prefixLength + body.Length);
        try
        {
            var content = rented.AsSpan(0, prefixLength + body.Length);
            var written = Encoding.UTF8.GetBytes(webhookId, content);
            content[written++] = (byte)'.';
            written += Encoding.ASCII.GetBytes(seconds, content[written..]);
            content[written++] = (byte)'.';
            body.CopyTo(content[written..]);

            var header = new StringBuilder(_secrets.Length * 48);
            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            foreach (var secret in _secrets)
            {
                HMACSHA256.HashData(secret.Key, content, mac);
                if (header.Length > 0)
                {
                    header.Append(' ');
                }

                header.Append("v1,").Append(Convert.ToBase64String(mac));
            }

            return header.ToString();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The <c>webhook-signature</c> header value for a UTF-8 string body.</summary>
    public string Sign(string webhookId, DateTimeOffset timestamp, string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Sign(webhookId, timestamp, Encoding.UTF8.GetBytes(body));
    }
}
