using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Persistence;

/// <summary>The model on SqlServer; its migrations live in <c>Migrations/SqlServer</c>.</summary>
public sealed class SqlServerRewardEventsDbContext(DbContextOptions<SqlServerRewardEventsDbContext> options)
    : RewardEventsDbContext(options);
