using System.Net;
using System.Net.Sockets;

namespace RewardEvents.Fleet.Workers;

/// <summary>
/// Refuses webhook destinations inside private networks (SSRF): loopback, RFC 1918, link-local
/// (cloud metadata), CGNAT, unique-local IPv6 and the like. Checked when an endpoint is saved and
/// again on every connection, so a DNS answer that changes later cannot sneak past.
/// </summary>
public static class DestinationGuard
{
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            || address.Equals(IPAddress.Broadcast) || address.Equals(IPAddress.IPv6None))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return !(b[0] == 0 || b[0] == 10 || b[0] == 127
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)     // carrier-grade NAT
                || (b[0] == 169 && b[1] == 254)                   // link-local, cloud metadata
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)        // IETF protocol assignments
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19))    // benchmarking
                || b[0] >= 224);                                  // multicast and reserved
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Span<byte> b = stackalloc byte[16];
            address.TryWriteBytes(b, out _);
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b[0] & 0xFE) == 0xFC);                        // unique local fc00::/7
        }

        return false;
    }

    /// <summary>Resolves a host and says why it is refused, or null when every address is public.</summary>
    public static async Task<string?> CheckAsync(Uri url, bool allowPrivate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (allowPrivate)
        {
            return null;
        }

        IPAddress[] addresses;
        if (IPAddress.TryParse(url.IdnHost, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(url.IdnHost, cancellationToken);
            }
            catch (SocketException)
            {
                return $"the host '{url.Host}' does not resolve";
            }
        }

        if (addresses.Length == 0)
        {
            return $"the host '{url.Host}' does not resolve";
        }

        var blocked = addresses.FirstOrDefault(a => !IsPublic(a));
        return blocked is null ? null : $"'{url.Host}' resolves to {blocked}, a private or reserved address";
    }
}
