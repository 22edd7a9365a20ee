using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RewardEvents.Fleet.Routing;
using RewardEvents.IntegrationTests.Persistence;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Routing;

/// <summary>
/// The completion sweep, which runs every second on every router, finds the sagas still delivering through an index
/// that holds only those, without reading the completed ones (every event ever routed), and completes exactly those
/// whose deliveries are all final; on PostgreSQL and on SQLite.
/// </summary>
public sealed class RoutingCompletionPlanTests(PostgresServer postgres)
{
    private const int Completed = 2000;
    private const string Index = "IX_routings_CurrentState";
    private static readonly DateTime Now = new(2026, 11, 24, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void The_index_filter_s_state_is_the_state_machine_s()
    {
        var machine = new RoutingStateMachine();
        Assert.Equal(RoutingState.Delivering, machine.Delivering.Name);
        Assert.Equal(RoutingState.Completed, machine.Completed.Name);
    }

    [Fact]
    public async Task On_PostgreSQL_the_sweep_reads_only_delivering_sagas()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "completionplan");
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        var (done, open) = await SeedAsync(db);
        await db.Database.ExecuteSqlRawAsync("ANALYZE routings; ANALYZE deliveries", cancellationToken);

        var indexes = await db.Database.SqlQueryRaw<string>(
            "SELECT indexdef AS \"Value\" FROM pg_indexes WHERE indexname = {0}", Index).ToListAsync(cancellationToken);
        Assert.EndsWith("WHERE ((\"CurrentState\")::text = 'Delivering'::text)", Assert.Single(indexes), StringComparison.Ordinal);

        await db.Database.OpenConnectionAsync(cancellationToken);
        await using (var count = RoutingCompletion.Delivering(db).CreateDbCommand())
        {
            // The state as a literal: with a parameter a generic plan could not tell the partial index applies.
            Assert.Empty(count.Parameters);
            Assert.Contains("'Delivering'", count.CommandText, StringComparison.Ordinal);
            var plan = await QueryPlans.ExplainAnalyzeAsync(count, cancellationToken);
            var read = QueryPlans.RowsRead(plan, "routings", _ => true);
            Assert.True(read <= done.Count + open.Count, $"the delivering sagas' count read {read} routing rows of {Completed + done.Count + open.Count}; plan: {plan}");
            Assert.Contains(Index, plan.ToString(), StringComparison.Ordinal);
        }

        // The update itself, as EF Core sends it, its plan reported by auto_explain; committed, and its outcome checked below.
        var completed = 0;
        JsonElement update;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            update = await QueryPlans.AutoExplainAsync(db, "UPDATE routings", "", async () => completed = await RoutingCompletion.CompleteAsync(db, cancellationToken), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        Assert.Equal(done.Count, completed);
        var updateRead = QueryPlans.RowsRead(update, "routings", _ => true);
        Assert.True(updateRead <= 2 * (done.Count + open.Count),
            $"the completion read {updateRead} routing rows for {done.Count + open.Count} delivering and {Completed} completed; plan: {update}");
        Assert.Contains(Index, update.ToString(), StringComparison.Ordinal);

        await AssertStatesAsync(db, done, open);
    }

    [Fact]
    public Task On_SQLite_the_sweep_searches_its_index() =>
        SqliteFileDatabase.UseServicesAsync("completionplan", async services =>
        {
            var cancellationToken = TestContext.Current.CancellationToken;
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            var (done, open) = await SeedAsync(db);
            await db.Database.ExecuteSqlRawAsync("ANALYZE", cancellationToken);

            await db.Database.OpenConnectionAsync(cancellationToken);
            await using (var command = RoutingCompletion.Delivering(db).CreateDbCommand())
            {
                var steps = await QueryPlans.SqliteStepsAsync(command, cancellationToken);
                Assert.Contains(steps, s => s.StartsWith("SEARCH", StringComparison.Ordinal) && s.Contains(Index, StringComparison.Ordinal));
                Assert.DoesNotContain(steps, s => s.StartsWith("SCAN", StringComparison.Ordinal) && !s.Contains("INDEX", StringComparison.Ordinal));
            }

            Assert.Equal(done.Count, await RoutingCompletion.CompleteAsync(db, cancellationToken));
            await AssertStatesAsync(db, done, open);
        });

    /// <summary>
    /// Completed sagas by the thousand; delivering ones whose deliveries are all final (the ids returned as done) and
    /// delivering ones with a delivery still open.
    /// </summary>
    private static async Task<(List<Guid> Done, List<Guid> Open)> SeedAsync(RewardEventsDbContext db)
    {
        var completed = Enumerable.Range(0, Completed).Select(i =>
        {
            var routing = TestRows.Routing($"u_old{i}", 1, Now.AddDays(-1));
            routing.CurrentState = RoutingState.Completed;
            routing.CompletedAt = Now.AddDays(-1);
            return routing;
        }).ToList();
        var done = Enumerable.Range(0, 4).Select(i => TestRows.Routing($"u_done{i}", 1, Now.AddMinutes(-1))).ToList();
        var open = Enumerable.Range(0, 3).Select(i => TestRows.Routing($"u_open{i}", 1, Now.AddMinutes(-1))).ToList();
        db.Routings.AddRange(completed.Concat(done).Concat(open));
        foreach (var routing in done)
        {
            db.Deliveries.Add(Of(routing, "ep_a", DeliveryStatus.Delivered));
            db.Deliveries.Add(Of(routing, "ep_b", DeliveryStatus.DeadLettered));
        }

        foreach (var routing in open)
        {
            db.Deliveries.Add(Of(routing, "ep_a", DeliveryStatus.Delivered));
            db.Deliveries.Add(Of(routing, "ep_b", DeliveryStatus.Retrying));
        }

        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return ([.. done.Select(r => r.CorrelationId)], [.. open.Select(r => r.CorrelationId)]);
    }

    private static Delivery Of(RoutingState routing, string endpointId, DeliveryStatus status)
    {
        var delivery = TestRows.Delivery(endpointId, routing.UserId, routing.Sequence, status, routing.ReceivedAt, routing.CorrelationId);
        delivery.FinalAt = status is DeliveryStatus.Delivered or DeliveryStatus.DeadLettered ? Now : null;
        return delivery;
    }

    private static async Task AssertStatesAsync(RewardEventsDbContext db, List<Guid> done, List<Guid> open)
    {
        var states = await db.Routings.AsNoTracking().Where(r => r.CurrentState != RoutingState.Completed || done.Contains(r.CorrelationId))
            .ToDictionaryAsync(r => r.CorrelationId, r => (r.CurrentState, r.CompletedAt), TestContext.Current.CancellationToken);
        Assert.Equal(done.Concat(open).Order(), states.Keys.Order());
        Assert.All(done, id => Assert.Equal((RoutingState.Completed, (DateTime?)Now), states[id]));
        Assert.All(open, id => Assert.Equal((RoutingState.Delivering, (DateTime?)null), states[id]));
    }
}
