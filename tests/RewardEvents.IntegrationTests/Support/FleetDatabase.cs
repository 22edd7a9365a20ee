using Microsoft.EntityFrameworkCore;
using RewardEvents.Persistence;

namespace RewardEvents.IntegrationTests.Support;

/// <summary>Opens the fleet's database from a test, to check what the fleet recorded.</summary>
public static class FleetDatabase
{
    public static RewardEventsDbContext OpenPostgres(string connectionString) =>
        new PostgresRewardEventsDbContext(new DbContextOptionsBuilder<PostgresRewardEventsDbContext>().UseNpgsql(connectionString).Options);
}
