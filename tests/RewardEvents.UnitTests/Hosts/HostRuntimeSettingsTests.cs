namespace RewardEvents.UnitTests.Hosts;

/// <summary>
/// The runtime settings every host ships (<c>src/RewardEvents.Hosts.props</c>). This test project imports the same
/// file, so these tests ask this process's own runtime whether it took them: a misspelt setting would be written to
/// runtimeconfig.json and silently ignored. <c>HostRuntimeConfigTests</c> (integration tests) checks that every host
/// ships them.
/// </summary>
public sealed class HostRuntimeSettingsTests
{
    private const long Gen0MaxBudget = 32L * 1024 * 1024;

    [Fact]
    public void The_gen0_budget_is_a_setting_the_GC_takes()
    {
        var variables = GC.GetConfigurationVariables();

        Assert.True(variables.TryGetValue("GCGen0MaxBudget", out var budget), "the GC reports its gen0 budget");
        Assert.Equal(Gen0MaxBudget, Convert.ToInt64(budget, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Idle_thread_pool_workers_do_not_spin()
    {
        // The thread pool reads this AppContext value when it creates its semaphore.
        Assert.Equal("0", AppContext.GetData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit")?.ToString());
    }
}
