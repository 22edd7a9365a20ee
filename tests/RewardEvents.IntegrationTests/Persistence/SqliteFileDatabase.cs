using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;

namespace RewardEvents.IntegrationTests.Persistence;

/// <summary>Runs a test against a fresh SQLite file, and deletes the file afterwards.</summary>
internal static class SqliteFileDatabase
{
    /// <summary>With one context on the file.</summary>
    public static Task UseAsync(string name, Func<SqliteRewardEventsDbContext, Task> test) =>
        UseFileAsync(name, async file =>
        {
            await using var db = new SqliteRewardEventsDbContext(
                new DbContextOptionsBuilder<SqliteRewardEventsDbContext>().UseSqlite($"Data Source={file}").Options);
            await test(db);
        });

    /// <summary>With the file migrated and registered as the fleet registers its database (pooled contexts).</summary>
    public static Task UseServicesAsync(string name, Func<ServiceProvider, Task> test) =>
        UseFileAsync(name, async file =>
        {
            await using var services = await FleetDatabase.CreateMigratedAsync("Sqlite", $"Data Source={file}");
            await test(services);
        });

    private static async Task UseFileAsync(string name, Func<string, Task> test)
    {
        var file = Path.Combine(Path.GetTempPath(), $"rewardevents-{name}-{Guid.NewGuid():N}.db");
        try
        {
            await test(file);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(file);
        }
    }
}
