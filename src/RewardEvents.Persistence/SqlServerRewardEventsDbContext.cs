using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Persistence;

/// <summary>The model on SqlServer; its migrations live in <c>Migrations/SqlServer</c>.</summary>
public sealed class SqlServerRewardEventsDbContext(DbContextOptions<SqlServerRewardEventsDbContext> options)
    : RewardEventsDbContext(options)
{
    // The column is nvarchar, and the queries compare it with N'' literals.
    protected override string OpenDeliveriesFilter => "[Status] <> N'Delivered' AND [Status] <> N'DeadLettered'";

    protected override string? SweepIndexFilter => "[Status] IN (N'Pending', N'InFlight', N'Retrying', N'Waiting')";

    protected override string EqualsFilter(string column, string value) => $"[{column}] = N'{value}'";
}
