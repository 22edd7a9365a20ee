using Microsoft.EntityFrameworkCore;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Persistence;

/// <summary>SQL Server, the production default, where a Docker engine can run it; reported skipped elsewhere.</summary>
public sealed class SqlServerTests(SqlServerContainerFixture sqlServer)
{
    [Fact]
    public async Task Migrations_apply_on_SQL_Server_and_a_delivery_round_trips()
    {
        Assert.SkipWhen(SqlServerAvailability.SkipReason is not null, SqlServerAvailability.SkipReason ?? "");
        var connectionString = await sqlServer.CreateDatabaseAsync("migrate");
        await using var db = new SqlServerRewardEventsDbContext(
            new DbContextOptionsBuilder<SqlServerRewardEventsDbContext>().UseSqlServer(connectionString).Options);
        await db.Database.MigrateAsync(TestContext.Current.CancellationToken);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
        await DeliveryRoundTrip.AssertAsync(db);

        // The stats' counts through the MERGE: added twice into the same row, once into a new one.
        var minute = new DateTime(2026, 11, 24, 12, 0, 0, DateTimeKind.Utc);
        EndpointMinute Row(int bucket, int attempts, int max) =>
            new() { EndpointId = "ep_merge", Minute = minute, Bucket = bucket, Attempts = attempts, Succeeded = attempts, MaxDurationMs = max };
        await EndpointMinutesWrite.AddAsync(db, [Row(1, 2, 8)], TestContext.Current.CancellationToken);
        await EndpointMinutesWrite.AddAsync(db, [Row(1, 3, 7), Row(2, 1, 20)], TestContext.Current.CancellationToken);
        var rows = await db.EndpointMinutes.AsNoTracking().OrderBy(m => m.Bucket).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal([(1, 5, 5, 8), (2, 1, 1, 20)], rows.Select(r => (r.Bucket, r.Attempts, r.Succeeded, r.MaxDurationMs)));
    }
}
