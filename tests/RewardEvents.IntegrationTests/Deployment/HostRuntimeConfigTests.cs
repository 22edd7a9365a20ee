using System.Text.Json;
using RewardEvents.IntegrationTests.Support;

namespace RewardEvents.IntegrationTests.Deployment;

/// <summary>
/// Every host's built runtimeconfig.json carries the runtime settings of <c>src/RewardEvents.Hosts.props</c> (the unit
/// tests check, in a process of their own, that the runtime takes them by these names).
/// </summary>
public sealed class HostRuntimeConfigTests
{
    [Theory]
    [InlineData("Api")]
    [InlineData("Router")]
    [InlineData("Worker")]
    [InlineData("Server")]
    public void Each_host_ships_the_gen0_budget_no_spinning_and_no_dynamic_PGO(string host)
    {
        var file = Path.Combine(FleetProcess.BuildOutput("src", $"RewardEvents.{host}"), $"RewardEvents.{host}.runtimeconfig.json");
        Assert.True(File.Exists(file), $"Build the solution first: {file} is missing.");

        using var json = JsonDocument.Parse(File.ReadAllText(file));
        var properties = json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.Equal(32L * 1024 * 1024, properties.GetProperty("System.GC.Gen0MaxBudget").GetInt64());
        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
        Assert.False(properties.GetProperty("System.Runtime.TieredPGO").GetBoolean());
    }
}
