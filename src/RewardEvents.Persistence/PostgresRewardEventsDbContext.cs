using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Persistence;

/// <summary>The model on Postgres; its migrations live in <c>Migrations/Postgres</c>.</summary>
public sealed class PostgresRewardEventsDbContext(DbContextOptions<PostgresRewardEventsDbContext> options)
    : RewardEventsDbContext(options);
