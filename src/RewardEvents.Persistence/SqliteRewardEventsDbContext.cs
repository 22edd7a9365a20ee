using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Persistence;

/// <summary>The model on Sqlite; its migrations live in <c>Migrations/Sqlite</c>.</summary>
public sealed class SqliteRewardEventsDbContext(DbContextOptions<SqliteRewardEventsDbContext> options)
    : RewardEventsDbContext(options)
{
    // No filter on the sweep's index: SQLite would use it for a branch of the sweep's OR only where that branch holds the
    // filter's own terms word for word.
    protected override string? SweepIndexFilter => null;
}
