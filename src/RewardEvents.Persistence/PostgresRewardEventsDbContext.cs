using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace RewardEvents.Persistence;

/// <summary>The model on Postgres; its migrations live in <c>Migrations/Postgres</c>.</summary>
public sealed class PostgresRewardEventsDbContext(DbContextOptions<PostgresRewardEventsDbContext> options)
    : RewardEventsDbContext(options)
{
    private RoutingGroupCommit? _routingGroupCommit;
    private bool _routingGroupCommitLooked;

    /// <summary>
    /// A new event's routing (saga, counter, deliveries) is written as one statement
    /// (<see cref="PostgresRoutingWrite"/>): in the router, gathered with the other events it routes at once
    /// (<see cref="RoutingGroupCommit"/>), unless this context has a transaction open; everything else as EF Core
    /// writes it. Save-changes interceptors and events are not raised for the one statement; the fleet registers none.
    /// </summary>
    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        if (PostgresRoutingWrite.Match(ChangeTracker) is not { } routing)
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }

        var written = Database.CurrentTransaction is null && RoutingGroupCommit() is { } groupCommit
            ? await groupCommit.WriteAsync(routing, cancellationToken)
            : await PostgresRoutingWrite.WriteAsync(this, routing, cancellationToken);
        if (acceptAllChangesOnSuccess)
        {
            ChangeTracker.AcceptAllChanges();
        }

        return written;
    }

    /// <summary>The host's group commit of routings, if it registered one (the router does).</summary>
    private RoutingGroupCommit? RoutingGroupCommit()
    {
        // A pooled context outlives its units of work but not its host's services, so one look is enough.
        if (!_routingGroupCommitLooked)
        {
            _routingGroupCommit = this.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()?.ApplicationServiceProvider
                ?.GetService<RoutingGroupCommit>();
            _routingGroupCommitLooked = true;
        }

        return _routingGroupCommit;
    }
}
