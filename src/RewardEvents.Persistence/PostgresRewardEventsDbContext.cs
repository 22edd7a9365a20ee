using Microsoft.EntityFrameworkCore;

namespace RewardEvents.Persistence;

/// <summary>The model on Postgres; its migrations live in <c>Migrations/Postgres</c>.</summary>
public sealed class PostgresRewardEventsDbContext(DbContextOptions<PostgresRewardEventsDbContext> options)
    : RewardEventsDbContext(options)
{
    /// <summary>
    /// A new event's routing (saga, counter, deliveries) is written as one statement
    /// (<see cref="PostgresRoutingWrite"/>); everything else as EF Core writes it. Save-changes interceptors and
    /// events are not raised for the one statement; the fleet registers none.
    /// </summary>
    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        if (PostgresRoutingWrite.Match(ChangeTracker) is not { } routing)
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }

        var written = await PostgresRoutingWrite.WriteAsync(this, routing, cancellationToken);
        if (acceptAllChangesOnSuccess)
        {
            ChangeTracker.AcceptAllChanges();
        }

        return written;
    }
}
