using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RewardEvents.Fleet;
using RewardEvents.Fleet.Api;
using RewardEvents.Fleet.Routing;
using RewardEvents.IntegrationTests.Persistence;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Routing;

/// <summary>
/// Retention: events finished longer ago than the period are deleted with their deliveries and attempts, batch by batch,
/// and nothing else is: not a recent event, not one still delivering, not one with a delivery reopened or final again
/// within the period. On PostgreSQL and SQLite, and by the router's own sweep.
/// </summary>
public sealed class RetentionTests(PostgresServer postgres)
{
    private const string Index = "IX_routings_CompletedAt";
    private static readonly DateTime Now = new(2026, 11, 24, 12, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Cutoff = Now.AddDays(-30);

    [Fact]
    public async Task On_PostgreSQL_expired_events_go_with_their_deliveries_and_attempts_and_nothing_else_does()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "retention");
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        var seeded = await SeedAsync(db, Now, recentCompleted: 500);
        await db.Database.ExecuteSqlRawAsync("ANALYZE routings", cancellationToken);

        var indexes = await db.Database.SqlQueryRaw<string>(
            "SELECT indexdef AS \"Value\" FROM pg_indexes WHERE indexname = {0}", Index).ToListAsync(cancellationToken);
        Assert.EndsWith("WHERE ((\"CurrentState\")::text = 'Completed'::text)", Assert.Single(indexes), StringComparison.Ordinal);
        await db.Database.OpenConnectionAsync(cancellationToken);
        await using (var command = RetentionSweep.Expired(db, Cutoff).Select(r => r.CorrelationId).Take(2).CreateDbCommand())
        {
            // The oldest few through the index, not every completed event sorted.
            var plan = await QueryPlans.ExplainAnalyzeAsync(command, cancellationToken);
            var read = QueryPlans.RowsRead(plan, "routings", _ => true);
            Assert.True(read <= 2, $"the oldest 2 expired events took reading {read} routing rows; plan: {plan}");
            Assert.Contains(Index, plan.ToString(), StringComparison.Ordinal);
        }

        await db.Database.CloseConnectionAsync();
        await SweepsInBatchesAsync(db, seeded);
    }

    [Fact]
    public Task On_SQLite_expired_events_go_with_their_deliveries_and_attempts_and_nothing_else_does() =>
        SqliteFileDatabase.UseServicesAsync("retention", async services =>
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            var seeded = await SeedAsync(db, Now, recentCompleted: 2);

            await db.Database.OpenConnectionAsync(TestContext.Current.CancellationToken);
            await using (var command = RetentionSweep.Expired(db, Cutoff).Select(r => r.CorrelationId).Take(2).CreateDbCommand())
            {
                var steps = await QueryPlans.SqliteStepsAsync(command, TestContext.Current.CancellationToken);
                Assert.Contains(steps, s => s.StartsWith("SEARCH", StringComparison.Ordinal) && s.Contains(Index, StringComparison.Ordinal));
            }

            await db.Database.CloseConnectionAsync();
            await SweepsInBatchesAsync(db, seeded);
        });

    [Fact]
    public async Task The_router_deletes_expired_events_by_itself_and_keeps_the_rest()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var connectionString = await FleetDatabase.CreateMigratedPostgresDatabaseAsync(postgres, "retentionhost");
        await using var host = await FleetHost.StartAsync(FleetRoles.Router, new Dictionary<string, string?>
        {
            ["Transport:Kind"] = "InMemory",
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:RewardEvents"] = connectionString,
            ["Retention:Interval"] = "00:00:01",
            ["Retention:BatchSize"] = "2",
        });
        Seeded seeded;
        await using (var scope = host.Services.CreateAsyncScope())
        {
            // Against the clock the host runs on: expired is more than the default 30 days ago.
            seeded = await SeedAsync(scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>(), DateTime.UtcNow, recentCompleted: 2);
        }

        await Eventually.PassesAsync(async () =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            await AssertLeftAsync(scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>(), seeded);
        }, TimeSpan.FromSeconds(30), "the router's retention sweep deletes the expired events", cancellationToken);
    }

    [Fact]
    public async Task With_a_period_of_zero_the_router_keeps_every_event()
    {
        var connectionString = await FleetDatabase.CreateMigratedPostgresDatabaseAsync(postgres, "retentionoff");
        var captured = new CapturingLoggerProvider(typeof(RetentionSweep).FullName!);
        await using var host = await FleetHost.StartAsync(FleetRoles.Router, new Dictionary<string, string?>
        {
            ["Transport:Kind"] = "InMemory",
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:RewardEvents"] = connectionString,
            ["Retention:Period"] = "00:00:00",
            ["Retention:Interval"] = "00:00:01",
        }, logging => logging.AddProvider(captured).AddFilter<CapturingLoggerProvider>(typeof(RetentionSweep).FullName, LogLevel.Information));

        // The sweep has ended (it says so as it does), so nothing deletes what is seeded after it.
        await Eventually.UntilAsync(() => Task.FromResult(captured.Lines.Any(l => l.Message.Contains("every event is kept", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(10), "the retention sweep reports that it keeps everything", TestContext.Current.CancellationToken);
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        var seeded = await SeedAsync(db, DateTime.UtcNow, recentCompleted: 0);
        Assert.Equal(seeded.Kept.Count + seeded.Expired.Count + 1, await db.Routings.CountAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>
    /// An operator reopens a dead letter of an expired event first (which reopens the event); then a sweep with batches of
    /// 2 deletes the other expired events and nothing else, and a second sweep finds nothing more.
    /// </summary>
    private static async Task SweepsInBatchesAsync(RewardEventsDbContext db, Seeded seeded)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var reopened = seeded.Expired[0];
        var deadLetter = await db.Deliveries.AsNoTracking().SingleAsync(d => d.RoutingId == reopened && d.Status == DeliveryStatus.DeadLettered, cancellationToken);
        Assert.True(await ManualRetry.ReopenAsync(db, deadLetter, Now, cancellationToken));
        var routing = await db.Routings.AsNoTracking().SingleAsync(r => r.CorrelationId == reopened, cancellationToken);
        Assert.Equal((RoutingState.Delivering, (DateTime?)null), (routing.CurrentState, routing.CompletedAt));
        seeded = seeded with { Expired = [.. seeded.Expired.Skip(1)], Kept = [.. seeded.Kept, reopened] };

        var deleted = await RetentionSweep.SweepAsync(db, Cutoff, batchSize: 2, maxBatches: 100, cancellationToken);
        // The expired events and the one that matched no endpoint.
        Assert.Equal(new RetentionSweep.Deleted(seeded.Expired.Count + 1, 2 * seeded.Expired.Count, 3 * seeded.Expired.Count), deleted);
        await AssertLeftAsync(db, seeded);
        Assert.Equal(new RetentionSweep.Deleted(0, 0, 0), await RetentionSweep.SweepAsync(db, Cutoff, 2, 100, cancellationToken));
    }

    private static async Task AssertLeftAsync(RewardEventsDbContext db, Seeded seeded)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var routings = await db.Routings.AsNoTracking().Select(r => r.CorrelationId).ToListAsync(cancellationToken);
        Assert.Equal(seeded.Kept.Order(), routings.Order());
        var deliveries = await db.Deliveries.AsNoTracking().GroupBy(d => d.RoutingId).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        Assert.Equal(seeded.Kept.Order(), deliveries.Keys.Order());
        Assert.All(seeded.Kept, id => Assert.Equal(2, deliveries[id]));
        var attempts = await db.Attempts.AsNoTracking().CountAsync(cancellationToken);
        Assert.Equal(3 * seeded.Kept.Count, attempts);
    }

    /// <summary>
    /// Expired events (completed 40 days before <paramref name="now"/>, each delivery final as long) and the events that
    /// must stay: completed within the period, still delivering, completed long ago but with a delivery reopened, and
    /// completed long ago with a delivery final again since. Two deliveries and three attempts each; and an expired event that
    /// matched no endpoint (completed as it was routed, with no deliveries).
    /// </summary>
    private static async Task<Seeded> SeedAsync(RewardEventsDbContext db, DateTime now, int recentCompleted)
    {
        var old = now.AddDays(-40);
        var recent = now.AddDays(-1);
        var expired = Enumerable.Range(0, 5).Select(i => Event(db, $"u_old{i}", old, old, DeliveryStatus.DeadLettered, old)).ToList();
        var kept = Enumerable.Range(0, recentCompleted).Select(i => Event(db, $"u_recent{i}", recent, recent, DeliveryStatus.Delivered, recent))
            .Append(Event(db, "u_delivering", old, null, DeliveryStatus.Retrying, null))
            .Append(Event(db, "u_reopened", old, old, DeliveryStatus.Retrying, null))
            .Append(Event(db, "u_final_again", old, old, DeliveryStatus.Delivered, recent))
            .ToList();
        var unmatched = TestRows.Routing("u_unmatched", 1, old);
        unmatched.DeliveryCount = 0;
        unmatched.CurrentState = RoutingState.Completed;
        unmatched.CompletedAt = old;
        db.Routings.Add(unmatched);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        db.ChangeTracker.Clear();
        return new Seeded(expired, kept);
    }

    /// <summary>One event (completed at <paramref name="completedAt"/>, else delivering): a delivery delivered at its receipt, and a second one as given.</summary>
    private static Guid Event(RewardEventsDbContext db, string userId, DateTime receivedAt, DateTime? completedAt, DeliveryStatus second, DateTime? secondFinalAt)
    {
        var routing = TestRows.Routing(userId, 1, receivedAt);
        routing.DeliveryCount = 2;
        if (completedAt is not null)
        {
            routing.CurrentState = RoutingState.Completed;
            routing.FinalCount = 2;
            routing.CompletedAt = completedAt;
        }

        var first = TestRows.Delivery("ep_a", userId, 1, DeliveryStatus.Delivered, receivedAt, routing.CorrelationId);
        first.FinalAt = receivedAt;
        var other = TestRows.Delivery("ep_b", userId, 1, second, receivedAt, routing.CorrelationId);
        other.FinalAt = secondFinalAt;
        db.Routings.Add(routing);
        db.Deliveries.AddRange(first, other);
        db.Attempts.AddRange(
            Attempt(first.Id, 1, receivedAt, succeeded: true),
            Attempt(other.Id, 1, receivedAt, succeeded: false),
            Attempt(other.Id, 2, receivedAt.AddSeconds(5), succeeded: second == DeliveryStatus.Delivered));
        return routing.CorrelationId;
    }

    private static Attempt Attempt(Guid deliveryId, int number, DateTime at, bool succeeded) => new()
    {
        DeliveryId = deliveryId, Number = number, StartedAt = at, DurationMs = 3, StatusCode = succeeded ? 200 : 503,
        Error = succeeded ? null : "http_503", Succeeded = succeeded,
    };

    private sealed record Seeded(List<Guid> Expired, List<Guid> Kept);
}
