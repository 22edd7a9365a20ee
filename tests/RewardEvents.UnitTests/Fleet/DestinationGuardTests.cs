using System.Net;
using RewardEvents.Fleet.Workers;

namespace RewardEvents.UnitTests.Fleet;

public sealed class DestinationGuardTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.0.0.8")]
    [InlineData("172.16.5.4")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("::ffff:10.0.0.1")]
    public void Private_and_reserved_addresses_are_not_public(string address)
    {
        Assert.False(DestinationGuard.IsPublic(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700::1111")]
    public void Public_addresses_are_public(string address)
    {
        Assert.True(DestinationGuard.IsPublic(IPAddress.Parse(address)));
    }

    [Fact]
    public async Task A_literal_private_url_is_refused_unless_private_networks_are_allowed()
    {
        var url = new Uri("http://10.1.2.3/hook");
        Assert.Contains("private", await DestinationGuard.CheckAsync(url, allowPrivate: false, CancellationToken.None), StringComparison.Ordinal);
        Assert.Null(await DestinationGuard.CheckAsync(url, allowPrivate: true, CancellationToken.None));
    }
}
