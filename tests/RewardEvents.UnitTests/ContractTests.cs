using RewardEvents.Contracts;

namespace RewardEvents.UnitTests;

public sealed class ContractTests
{
    [Fact]
    public void RewardRedeemed_keeps_its_wire_namespace()
    {
        Assert.Equal("RewardEvents.Contracts", typeof(RewardRedeemed).Namespace);
    }
}
