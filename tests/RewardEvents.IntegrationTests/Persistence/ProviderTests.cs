using Microsoft.EntityFrameworkCore;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Persistence;

/// <summary>The same model and migrations on PostgreSQL and SQLite, for real.</summary>
public sealed class ProviderTests(PostgresServer postgres)
{
    [Fact]
    public async Task Migrations_apply_on_PostgreSQL_and_a_delivery_round_trips()
    {
        var connectionString = await postgres.CreateDatabaseAsync("migrate");
        await using var db = FleetDatabase.OpenPostgres(connectionString);
        await db.Database.MigrateAsync(TestContext.Current.CancellationToken);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
        await DeliveryRoundTrip.AssertAsync(db);
    }

    [Fact]
    public Task Migrations_apply_on_SQLite_and_a_delivery_round_trips() =>
        SqliteFileDatabase.UseAsync("migrate", async db =>
        {
            await db.Database.MigrateAsync(TestContext.Current.CancellationToken);
            Assert.Empty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
            await DeliveryRoundTrip.AssertAsync(db);
        });

    [Fact]
    public void Each_provider_has_its_migrations_and_they_match_the_model()
    {
        foreach (var db in FleetDatabase.UnconnectedPerProvider())
        {
            using (db)
            {
                Assert.NotEmpty(db.Database.GetMigrations());
                Assert.False(db.Database.HasPendingModelChanges(), $"{db.GetType().Name} has model changes without a migration");
            }
        }
    }
}
