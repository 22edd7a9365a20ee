using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RewardEvents.Fleet.Workers;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Workers;

/// <summary>
/// A worker claims its batch of first attempts in one statement, and finishes a batch of successes in
/// another. Their cost must not grow with the pending backlog, even when the database's statistics are
/// stale (a young table, or a burst since the last ANALYZE): on PostgreSQL each reads the batch's own
/// rows by primary key and nothing else.
/// </summary>
public sealed class ClaimPlanTests(PostgresServer postgres) : IAsyncLifetime
{
    private const int Users = 200;
    private const int PendingPerUser = 10;
    private const int OtherEndpoints = 2000;
    private static readonly DateTime At = new(2026, 11, 23, 8, 0, 0, DateTimeKind.Utc);
    private ServiceProvider _services = null!;

    public async ValueTask InitializeAsync() => _services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "claimplan");

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task A_batch_claim_and_finish_read_their_own_rows_only_however_large_the_pending_backlog()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        db.Endpoints.AddRange(Endpoint("ep_ordered", EndpointOrdering.PerUser), Endpoint("ep_unordered", EndpointOrdering.None));
        var old = Enumerable.Range(0, 10).Select(i => Delivery("ep_ordered", $"old{i}", 1, DeliveryStatus.Delivered)).ToList();
        db.Deliveries.AddRange(old);
        db.Routings.AddRange(old.Select(Routing));
        await db.SaveChangesAsync(cancellationToken);

        // Statistics taken while the tables were all but empty and all final, then a backlog far beyond them.
        await db.Database.ExecuteSqlRawAsync("ANALYZE deliveries, routings, endpoints", cancellationToken);
        var backlog = (from user in Enumerable.Range(0, Users)
                       from endpoint in new[] { "ep_ordered", "ep_unordered" }
                       from sequence in Enumerable.Range(1, PendingPerUser)
                       select Delivery(endpoint, $"u{user}", sequence, DeliveryStatus.Pending)).ToList();
        db.Deliveries.AddRange(backlog);
        db.Routings.AddRange(backlog.Select(Routing));
        db.Endpoints.AddRange(Enumerable.Range(0, OtherEndpoints).Select(i => Endpoint($"ep_other{i}", EndpointOrdering.PerUser)));
        await db.SaveChangesAsync(cancellationToken);

        // A batch as a worker receives one: first deliveries whose turn has come, later ones to the ordered
        // endpoint that must wait behind them, later ones to the unordered endpoint that need not.
        var first = backlog.Where(d => d.EndpointId == "ep_ordered" && d.Sequence == 1).Take(15).ToList();
        var blocked = backlog.Where(d => d.EndpointId == "ep_ordered" && d.Sequence == 2).Take(5).ToList();
        var unordered = backlog.Where(d => d.EndpointId == "ep_unordered" && d.Sequence == 2).Take(5).ToList();
        List<Guid> batch = [.. first.Concat(blocked).Concat(unordered).Select(d => d.Id)];

        var claimable = FirstAttemptClaims.Claimable(db, batch).Select(d => d.Id);
        Assert.Equal(first.Concat(unordered).Select(d => d.Id).Order(), (await claimable.ToListAsync(cancellationToken)).Order());
        await AssertReadsOnlyItsOwnRowsAsync(db, claimable, batch.Count, "claim");
        await AssertReadsOnlyItsOwnRowsAsync(db, claimable, batch.Count, "claim", genericPlan: true);

        // The same claim on PostgreSQL as the worker runs it, one statement that also reads the batch with endpoints
        // and payloads: the claim ("d"), the ordering guard ("p") and the read ("d") together, at most three per row.
        await AssertStatementReadsOnlyItsOwnRowsAsync(
            db, () => PostgresFirstAttemptClaims.Command(batch, At.AddMinutes(1)), batch.Count, "WITH claimed AS", "claim statement");

        // Finishing a batch (the writer's conditional update), one already final among them.
        await db.Deliveries.Where(d => d.Id == first[0].Id).ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeliveryStatus.Delivered), cancellationToken);
        var finishable = DeliveredWriter.Finishable(db, batch).Select(d => d.Id);
        Assert.Equal(batch.Skip(1).Order(), (await finishable.ToListAsync(cancellationToken)).Order());
        await AssertReadsOnlyItsOwnRowsAsync(db, finishable, batch.Count, "finishing update");
        await AssertReadsOnlyItsOwnRowsAsync(db, finishable, batch.Count, "finishing update", genericPlan: true);

        // The whole delivered write on PostgreSQL, one statement: the finishing update ("d") and each item's
        // successor ("w", through the index of open deliveries) together read at most three rows per item.
        var items = first.Concat(blocked).Concat(unordered).Select(d => new DeliveredWriter.Item(
            new Attempt { DeliveryId = d.Id, Number = 1, StartedAt = At, DurationMs = 2, StatusCode = 200, Succeeded = true }, d, 200, At)).ToList();
        await AssertStatementReadsOnlyItsOwnRowsAsync(db, () => PostgresDeliveredBatch.Command(items, At), items.Count, "WITH batch AS", "delivered statement");
    }

    /// <summary>
    /// Runs one of the worker's PostgreSQL statements (<see cref="PostgresDeliveredBatch"/>, <see cref="PostgresFirstAttemptClaims"/>)
    /// for a batch of <paramref name="rows"/> in a transaction rolled back afterwards. The custom plan comes from EXPLAIN
    /// ANALYZE. For the generic plan the statement is prepared on the server, as Npgsql's auto-prepare runs it, under
    /// <c>plan_cache_mode = force_generic_plan</c>, and its plan is what <c>auto_explain</c> reports of the run (a
    /// statement prepared through the protocol cannot be explained); <paramref name="marker"/> tells it among the
    /// session's prepared statements. Under both plans it read at most three rows of the deliveries table per row of the
    /// batch. <paramref name="statement"/> makes the statement afresh for each run (a parameter belongs to one command).
    /// </summary>
    private static async Task AssertStatementReadsOnlyItsOwnRowsAsync(
        RewardEventsDbContext db, Func<(string Sql, NpgsqlParameter[] Parameters)> statement, int rows, string marker, string what)
    {
        await AssertStatementReadsOnlyItsOwnRowsAsync(db, statement(), rows, marker, what, genericPlan: false);
        await AssertStatementReadsOnlyItsOwnRowsAsync(db, statement(), rows, marker, what, genericPlan: true);
    }

    private static async Task AssertStatementReadsOnlyItsOwnRowsAsync(
        RewardEventsDbContext db, (string Sql, NpgsqlParameter[] Parameters) statement, int rows, string marker, string what, bool genericPlan)
    {
        var (sql, parameters) = statement;
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = (NpgsqlTransaction)transaction.GetDbTransaction();
        command.CommandText = sql;
        command.Parameters.AddRange(parameters);
        JsonElement plan;
        if (genericPlan)
        {
            plan = await QueryPlans.AutoExplainAsync(db, marker, "SET LOCAL plan_cache_mode = force_generic_plan", async () =>
            {
                await command.PrepareAsync(cancellationToken);
                var returned = 0;
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        returned++;
                    }
                }

                Assert.Equal(rows, returned);
            }, cancellationToken);

            var generic = await db.Database.SqlQueryRaw<long>(
                "SELECT generic_plans AS \"Value\" FROM pg_prepared_statements WHERE strpos(statement, {0}) > 0", marker).ToListAsync(cancellationToken);
            Assert.Equal(1L, Assert.Single(generic)); // it really ran under a generic plan
        }
        else
        {
            plan = await QueryPlans.ExplainAnalyzeAsync(command, cancellationToken);
        }

        await transaction.RollbackAsync(cancellationToken);
        var read = QueryPlans.RowsRead(plan, "deliveries", _ => true);
        Assert.True(read <= 3 * rows,
            $"the {what} for {rows} deliveries{(genericPlan ? " (generic plan)" : "")} read {read} delivery rows with {Users * PendingPerUser * 2} pending; plan: {plan}");
        // The payloads: one routing row per delivery at most, by primary key, however many events there are; the
        // endpoints: the claim's condition, its ordering test and the read, at most three per delivery.
        var routings = QueryPlans.RowsRead(plan, "routings", _ => true);
        Assert.True(routings <= rows,
            $"the {what} for {rows} deliveries{(genericPlan ? " (generic plan)" : "")} read {routings} routing rows of {Users * PendingPerUser * 2 + 10}; plan: {plan}");
        var endpoints = QueryPlans.RowsRead(plan, "endpoints", _ => true);
        Assert.True(endpoints <= 3 * rows,
            $"the {what} for {rows} deliveries{(genericPlan ? " (generic plan)" : "")} read {endpoints} endpoint rows of {OtherEndpoints + 2}; plan: {plan}");
    }

    /// <summary>
    /// The query, under EXPLAIN ANALYZE, read at most two rows of the deliveries table per row of the batch. With
    /// <paramref name="genericPlan"/> it runs as a statement prepared on the server under the plan PostgreSQL may
    /// switch to after five runs, made without the batch's values (the fleet prepares its statements: Max Auto Prepare).
    /// </summary>
    private static async Task AssertReadsOnlyItsOwnRowsAsync(RewardEventsDbContext db, IQueryable<Guid> query, int batch, string what, bool genericPlan = false)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await db.Database.OpenConnectionAsync(cancellationToken);
        await using var command = query.CreateDbCommand();
        var plan = await QueryPlans.ExplainAnalyzeAsync(command, genericPlan, cancellationToken);
        var read = QueryPlans.RowsRead(plan, "deliveries", alias => alias == "d");
        Assert.True(read <= 2 * batch, $"the {what} of {batch} deliveries{(genericPlan ? " (generic plan)" : "")} read {read} delivery rows with {Users * PendingPerUser * 2} pending; plan: {plan}");
    }

    /// <summary>The routing row a delivery's payload is read from.</summary>
    private static RoutingState Routing(Delivery delivery) =>
        TestRows.Routing(delivery.UserId, delivery.Sequence, At, delivery.RoutingId, $"{delivery.EventId}_{delivery.EndpointId}");

    private static WebhookEndpoint Endpoint(string id, EndpointOrdering ordering) => TestRows.Endpoint(id, At, e => e.Ordering = ordering);

    private static Delivery Delivery(string endpointId, string userId, long sequence, DeliveryStatus status) =>
        TestRows.Delivery(endpointId, userId, sequence, status, At);
}
