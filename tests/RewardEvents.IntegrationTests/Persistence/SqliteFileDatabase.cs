using Microsoft.EntityFrameworkCore;
using RewardEvents.Persistence;

namespace RewardEvents.IntegrationTests.Persistence;

/// <summary>Runs a test against a context on a fresh SQLite file, and deletes the file afterwards.</summary>
internal static class SqliteFileDatabase
{
    public static async Task UseAsync(string name, Func<SqliteRewardEventsDbContext, Task> test)
    {
        var file = Path.Combine(Path.GetTempPath(), $"rewardevents-{name}-{Guid.NewGuid():N}.db");
        try
        {
            await using var db = new SqliteRewardEventsDbContext(
                new DbContextOptionsBuilder<SqliteRewardEventsDbContext>().UseSqlite($"Data Source={file}").Options);
            await test(db);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(file);
        }
    }
}
