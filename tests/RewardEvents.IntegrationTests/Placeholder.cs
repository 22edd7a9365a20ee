using RewardEvents.Contracts;

namespace RewardEvents.IntegrationTests;

public sealed class PlaceholderTests
{
    [Fact]
    public void RewardRedeemed_keeps_its_wire_namespace()
    {
        Assert.Equal("RewardEvents.Contracts", typeof(RewardRedeemed).Namespace);
    }
}
