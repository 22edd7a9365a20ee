using System.Net;
using RewardEvents.Fleet.Workers;

namespace RewardEvents.UnitTests.Fleet;

public sealed class DestinationGuardTests
{
    [Theory]
    [InlineData("127.0.0.1")]                 // loopback
    [InlineData("127.255.255.254")]
    [InlineData("0.0.0.0")]                   // unspecified
    [InlineData("0.1.2.3")]                   // "this network"
    [InlineData("10.0.0.8")]                  // private
    [InlineData("172.16.5.4")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]           // cloud metadata
    [InlineData("169.254.0.1")]               // link-local
    [InlineData("100.64.0.1")]                // carrier-grade NAT
    [InlineData("100.127.255.254")]
    [InlineData("192.0.0.8")]                 // IETF protocol assignments
    [InlineData("192.0.2.10")]                // TEST-NET-1
    [InlineData("198.51.100.7")]              // TEST-NET-2
    [InlineData("203.0.113.9")]               // TEST-NET-3
    [InlineData("198.18.0.1")]                // benchmarking
    [InlineData("198.19.255.255")]
    [InlineData("192.88.99.1")]               // 6to4 relay anycast
    [InlineData("224.0.0.1")]                 // multicast
    [InlineData("239.255.255.250")]
    [InlineData("240.0.0.1")]                 // reserved
    [InlineData("255.255.255.255")]           // broadcast
    [InlineData("::")]                        // unspecified
    [InlineData("::1")]                       // loopback
    [InlineData("fe80::1")]                   // link-local
    [InlineData("fe80::1%2")]
    [InlineData("fec0::1")]                   // site-local (deprecated)
    [InlineData("fd12:3456::1")]              // unique local
    [InlineData("fc00::1")]
    [InlineData("fd00:ec2::254")]             // AWS metadata over IPv6
    [InlineData("ff02::1")]                   // multicast
    [InlineData("::ffff:10.0.0.1")]           // IPv4-mapped private
    [InlineData("::ffff:127.0.0.1")]          // IPv4-mapped loopback
    [InlineData("::ffff:169.254.169.254")]    // IPv4-mapped metadata
    [InlineData("::127.0.0.1")]               // IPv4-compatible (deprecated)
    [InlineData("64:ff9b::a00:1")]            // NAT64 of 10.0.0.1
    [InlineData("64:ff9b::7f00:1")]           // NAT64 of 127.0.0.1
    [InlineData("64:ff9b::a9fe:a9fe")]        // NAT64 of 169.254.169.254
    [InlineData("64:ff9b:1::808:808")]        // local-use NAT64 prefix
    [InlineData("2002:a00:1::1")]             // 6to4 of 10.0.0.1
    [InlineData("2002:7f00:1::1")]            // 6to4 of 127.0.0.1
    [InlineData("2001:db8::1")]               // documentation
    [InlineData("3fff::1")]                   // documentation (RFC 9637)
    [InlineData("2001::1")]                   // Teredo
    [InlineData("2001:2::1")]                 // benchmarking
    [InlineData("100::1")]                    // discard-only
    public void Non_global_addresses_are_not_public(string address)
    {
        Assert.False(DestinationGuard.IsPublic(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("93.184.216.34")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("192.0.3.1")]
    [InlineData("2606:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]            // IPv4-mapped public
    [InlineData("64:ff9b::808:808")]          // NAT64 of 8.8.8.8
    [InlineData("2002:808:808::1")]           // 6to4 of 8.8.8.8
    public void Global_addresses_are_public(string address)
    {
        Assert.True(DestinationGuard.IsPublic(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("169.254.169.254", true)]
    [InlineData("::ffff:169.254.169.254", true)]
    [InlineData("64:ff9b::a9fe:a9fe", true)]
    [InlineData("fd00:ec2::254", true)]
    [InlineData("169.254.1.1", false)]
    [InlineData("10.0.0.1", false)]
    public void Cloud_metadata_addresses_are_recognised_in_every_form(string address, bool metadata)
    {
        Assert.Equal(metadata, DestinationGuard.IsCloudMetadata(IPAddress.Parse(address)));
    }
}
