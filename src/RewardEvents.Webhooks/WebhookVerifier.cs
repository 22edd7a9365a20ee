using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RewardEvents.Webhooks;

/// <summary>
/// Verifies Standard Webhooks signatures: any <c>v1</c> signature matching any of the secrets, in
/// constant time, with the timestamp inside a tolerance (default ±5 minutes) to stop replays.
/// </summary>
public sealed class WebhookVerifier
{
    /// <summary>The default allowed distance between the signed timestamp and now.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    private readonly WebhookSigner[] _signers;
    private readonly TimeSpan _tolerance;
    private readonly TimeProvider _time;

    /// <summary>A verifier for one or more secrets (several during rotation).</summary>
    public WebhookVerifier(IEnumerable<WebhookSecret> secrets, TimeSpan? tolerance = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        _signers = secrets.Select(s => new WebhookSigner(s)).ToArray();
        if (_signers.Length == 0)
        {
            throw new ArgumentException("At least one secret is needed to verify.", nameof(secrets));
        }

        _tolerance = tolerance ?? DefaultTolerance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Verifies, throwing <see cref="WebhookVerificationException"/> with the cause when it fails.</summary>
    public void Verify(IReadOnlyDictionary<string, string> headers, string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Verify(headers, Encoding.UTF8.GetBytes(body));
    }

    /// <summary>Verifies, throwing <see cref="WebhookVerificationException"/> with the cause when it fails.</summary>
    public void Verify(IReadOnlyDictionary<string, string> headers, ReadOnlySpan<byte> body)
    {
        var error = Check(headers, body);
        if (error != WebhookVerificationError.None)
        {
            throw new WebhookVerificationException(error);
        }
    }

    /// <summary>Verifies without throwing; <paramref name="error"/> says why it failed.</summary>
    public bool TryVerify(IReadOnlyDictionary<string, string> headers, ReadOnlySpan<byte> body, out WebhookVerificationError error)
    {
        error = Check(headers, body);
        return error == WebhookVerificationError.None;
    }

    private WebhookVerificationError Check(IReadOnlyDictionary<string, string> headers, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var id = Header(headers, WebhookHeaders.Id);
        var timestampText = Header(headers, WebhookHeaders.Timestamp);
        var signatureHeader = Header(headers, WebhookHeaders.Signature);
        if (id is null)
        {
            return WebhookVerificationError.MissingId;
        }

        if (timestampText is null)
        {
            return WebhookVerificationError.MissingTimestamp;
        }

        if (signatureHeader is null)
        {
            return WebhookVerificationError.MissingSignature;
        }

        if (!long.TryParse(timestampText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return WebhookVerificationError.MalformedTimestamp;
        }

        var timestamp = DateTimeOffset.FromUnixTimeSeconds(seconds);
        var now = _time.GetUtcNow();
        if (timestamp < now - _tolerance)
        {
            return WebhookVerificationError.TimestampTooOld;
        }

        if (timestamp > now + _tolerance)
        {
            return WebhookVerificationError.TimestampTooNew;
        }

        var candidates = new List<byte[]>();
        foreach (var entry in signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!entry.StartsWith("v1,", StringComparison.Ordinal))
            {
                continue; // other signature versions are not ours to judge
            }

            try
            {
                candidates.Add(Convert.FromBase64String(entry[3..]));
            }
            catch (FormatException)
            {
                // One bad entry does not void the others.
            }
        }

        if (candidates.Count == 0)
        {
            return WebhookVerificationError.MalformedSignature;
        }

        foreach (var signer in _signers)
        {
            var expected = Convert.FromBase64String(signer.Sign(id, timestamp, body)[3..]);
            foreach (var candidate in candidates)
            {
                if (CryptographicOperations.FixedTimeEquals(expected, candidate))
                {
                    return WebhookVerificationError.None;
                }
            }
        }

        return WebhookVerificationError.NoMatchingSignature;
    }

    private static string? Header(IReadOnlyDictionary<string, string> headers, string name)
    {
        if (headers.TryGetValue(name, out var value))
        {
            return value;
        }

        foreach (var (key, candidate) in headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }

        return null;
    }
}
