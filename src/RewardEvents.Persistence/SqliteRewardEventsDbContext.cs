using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Persistence;

/// <summary>The model on Sqlite; its migrations live in <c>Migrations/Sqlite</c>.</summary>
public sealed class SqliteRewardEventsDbContext(DbContextOptions<SqliteRewardEventsDbContext> options)
    : RewardEventsDbContext(options);
