using System.Text.Json;

namespace RewardEvents.UnitTests.Hosts;

/// <summary>
/// The runtime settings every host ships (<c>src/RewardEvents.Hosts.props</c>). This test project imports the same
/// file, so the first test asks this process's own GC whether it took the gen0 budget: a misspelt setting would be
/// written to runtimeconfig.json and silently ignored.
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

    [Theory]
    [InlineData("Api")]
    [InlineData("Router")]
    [InlineData("Worker")]
    [InlineData("Server")]
    public void Each_host_ships_the_gen0_budget_no_spinning_and_no_dynamic_PGO(string host)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var file = Path.Combine(RepoRoot(), "src", $"RewardEvents.{host}", "bin", configuration, "net10.0", $"RewardEvents.{host}.runtimeconfig.json");
        Assert.True(File.Exists(file), $"Build the solution first: {file} is missing.");

        using var json = JsonDocument.Parse(File.ReadAllText(file));
        var properties = json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.Equal(Gen0MaxBudget, properties.GetProperty("System.GC.Gen0MaxBudget").GetInt64());
        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
        Assert.False(properties.GetProperty("System.Runtime.TieredPGO").GetBoolean());
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RewardEvents.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("RewardEvents.sln not found above " + AppContext.BaseDirectory);
    }
}
