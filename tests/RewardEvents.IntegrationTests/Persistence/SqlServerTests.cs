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
    }
}
