using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Database:Provider"] = "Sqlite",
                ["ConnectionStrings:RewardEvents"] = $"Data Source={file}",
            }).Build();
            await using var services = new ServiceCollection().AddRewardEventsDatabase(configuration).BuildServiceProvider();
            await using (var scope = services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>().Database.MigrateAsync();
            }

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
