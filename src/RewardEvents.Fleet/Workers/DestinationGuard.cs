using System.Net;
using System.Net.Sockets;

namespace RewardEvents.Fleet.Workers;

/// <summary>
/// Which addresses are on the public internet. Everything else is refused as a webhook destination (SSRF):
/// loopback, private, link-local (cloud metadata), CGNAT, multicast, broadcast, unspecified, documentation
/// and benchmarking ranges, IPv6 outside global unicast, and the IPv4-mapped, NAT64 and 6to4 forms of those.
/// </summary>
public static class DestinationGuard
{
    // From the IANA special-purpose registries; refusing a few globally reachable anycast blocks inside
    // them (e.g. AS112) is the price of a short list.
    private static readonly IPNetwork[] NonGlobalV4 =
    [
        IPNetwork.Parse("0.0.0.0/8"),          // "this network", unspecified
        IPNetwork.Parse("10.0.0.0/8"),
        IPNetwork.Parse("100.64.0.0/10"),      // carrier-grade NAT
        IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"),     // link-local, cloud metadata
        IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.0.0.0/24"),       // IETF protocol assignments
        IPNetwork.Parse("192.0.2.0/24"),       // TEST-NET-1
        IPNetwork.Parse("192.88.99.0/24"),     // 6to4 relay anycast (deprecated)
        IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"),      // benchmarking
        IPNetwork.Parse("198.51.100.0/24"),    // TEST-NET-2
        IPNetwork.Parse("203.0.113.0/24"),     // TEST-NET-3
        IPNetwork.Parse("224.0.0.0/4"),        // multicast
        IPNetwork.Parse("240.0.0.0/4"),        // reserved, and 255.255.255.255 broadcast
    ];

    private static readonly IPNetwork GlobalUnicastV6 = IPNetwork.Parse("2000::/3");

    private static readonly IPNetwork[] NonGlobalV6InsideGlobalUnicast =
    [
        IPNetwork.Parse("2001::/23"),          // IETF protocol assignments: Teredo, benchmarking, ORCHID
        IPNetwork.Parse("2001:db8::/32"),      // documentation
        IPNetwork.Parse("3fff::/20"),          // documentation (RFC 9637)
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork Nat64LocalUse = IPNetwork.Parse("64:ff9b:1::/48");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    /// <summary>Instance metadata services: refused even where private networks are allowed, unless allow-listed.</summary>
    private static readonly IPAddress[] CloudMetadata =
    [
        IPAddress.Parse("169.254.169.254"),    // AWS, GCP, Azure, OpenStack, …
        IPAddress.Parse("169.254.170.2"),      // AWS ECS task metadata
        IPAddress.Parse("100.100.100.200"),    // Alibaba Cloud
        IPAddress.Parse("fd00:ec2::254"),      // AWS over IPv6
    ];

    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (EmbeddedIPv4(address) is { } embedded)
        {
            return IsPublic(embedded);
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return !NonGlobalV4.Any(n => n.Contains(address));
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // Only global unicast is public; loopback, unspecified, unique-local, link-local, site-local,
            // multicast and the IPv4-compatible forms all lie outside 2000::/3.
            return address.ScopeId == 0 && GlobalUnicastV6.Contains(address) && !Nat64LocalUse.Contains(address)
                && !NonGlobalV6InsideGlobalUnicast.Any(n => n.Contains(address));
        }

        return false;
    }

    public static bool IsCloudMetadata(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var v4 = EmbeddedIPv4(address);
        return CloudMetadata.Any(m => m.Equals(address) || m.Equals(v4));
    }

    /// <summary>The IPv4 address an IPv6 address stands for (IPv4-mapped, NAT64 well-known prefix, 6to4), if any.</summary>
    public static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        if (Nat64.Contains(address))
        {
            return new IPAddress(b[12..]);
        }

        return SixToFour.Contains(address) ? new IPAddress(b[2..6]) : null;
    }
}
