using System.Security.Cryptography;
using System.Text;

namespace RewardEvents.Fleet.Routing;

/// <summary>
/// Derives the routing saga's correlation id from the producer's event id, so every duplicate of an
/// event lands on the same saga and fans out once.
/// </summary>
public static class EventIdentity
{
    public static Guid IdFor(string eventId)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes("rewardevents:event:" + eventId), hash);
        // Mark it as a name-based (version 5 style), RFC 4122 variant GUID.
        hash[7] = (byte)((hash[7] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16]);
    }

    /// <summary>The Standard Webhooks <c>webhook-id</c> of an event: stable across attempts and endpoints.</summary>
    public static string WebhookIdFor(Guid routingId) => "msg_" + routingId.ToString("N");
}
