using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RewardEvents.Fleet.Workers;
using RewardEvents.Persistence;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Workers;

/// <summary>
/// The per-user ordering guard asks on every claim whether an earlier delivery of the user to the endpoint
/// is still open. Its cost must not grow with the user's history: on PostgreSQL, with thousands of final
/// deliveries behind one open one, the guard's plan reads only open rows (a partial index on them).
/// </summary>
public sealed class OrderingGuardPlanTests(PostgresServer postgres) : IAsyncLifetime
{
    private const int History = 3000;
    private ServiceProvider _services = null!;

    public async ValueTask InitializeAsync() => _services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "guardplan");

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task The_guard_reads_open_deliveries_only_however_long_the_users_history()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        var rows = Enumerable.Range(1, History + 1).Select(sequence => Delivery(sequence, sequence <= History ? DeliveryStatus.Delivered : DeliveryStatus.Pending)).ToList();
        db.Endpoints.Add(TestRows.Endpoint("ep_guard", DateTime.UtcNow));
        db.Deliveries.AddRange(rows);
        await db.SaveChangesAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("ANALYZE deliveries", cancellationToken);
        var latest = rows[^1].Id;

        // Every earlier delivery is final: the latest one's turn has come, and the guard read next to nothing to say so.
        var (ids, readByGuard) = await RunGuardAsync(db, latest, cancellationToken);
        Assert.Equal([latest], ids);
        Assert.True(readByGuard <= 5, $"the guard read {readByGuard} earlier deliveries for one claim");

        // One in the middle of the history is retrying again: the latest must wait.
        await db.Deliveries.Where(d => d.Id == rows[History / 2].Id)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeliveryStatus.Retrying), cancellationToken);
        (ids, readByGuard) = await RunGuardAsync(db, latest, cancellationToken);
        Assert.Empty(ids);
        Assert.True(readByGuard <= 5, $"the guard read {readByGuard} earlier deliveries for one claim");
    }

    /// <summary>
    /// Runs the claim's guard, as the worker builds it, under EXPLAIN ANALYZE: the ids it lets through, and
    /// how many rows the plan read from the predecessor side (any alias but the claimed row's).
    /// </summary>
    private static async Task<(List<Guid> Ids, double ReadByGuard)> RunGuardAsync(RewardEventsDbContext db, Guid id, CancellationToken cancellationToken)
    {
        var query = db.Deliveries.Where(d => d.Id == id).WhoseTurnHasCome(db.Deliveries, db.Endpoints.Where(e => e.Ordering == EndpointOrdering.PerUser)).Select(d => d.Id);
        var ids = await query.ToListAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        await using var command = query.CreateDbCommand();
        var plan = await QueryPlans.ExplainAnalyzeAsync(command, cancellationToken);
        return (ids, QueryPlans.RowsRead(plan, "deliveries", alias => alias != "d"));
    }

    private static Delivery Delivery(long sequence, DeliveryStatus status) => TestRows.Delivery("ep_guard", "u1", sequence, status, DateTime.UtcNow);
}
