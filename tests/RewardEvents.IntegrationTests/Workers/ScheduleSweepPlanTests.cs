using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RewardEvents.Fleet.Workers;
using RewardEvents.IntegrationTests.Persistence;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Workers;

/// <summary>
/// The deliveries table keeps only the indexes its queries use (each costs an entry on a delivery's insert and on
/// each of its updates), and the schedule sweep, which runs every second on every worker, finds what is due through
/// its index without reading the final rows, on PostgreSQL and on SQLite.
/// </summary>
public sealed class ScheduleSweepPlanTests(PostgresServer postgres)
{
    private const int Final = 2000;
    private const int Open = 18;
    private const string SweepIndex = "IX_deliveries_Status_NextAttemptAt";
    private const string GuardIndex = "IX_deliveries_EndpointId_UserId_Sequence";
    private static readonly DateTime Now = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task On_PostgreSQL_the_sweep_reads_only_open_rows_and_no_index_is_kept_for_event_ids()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "sweepplan");
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        var due = await SeedAsync(db);
        await db.Database.ExecuteSqlRawAsync("ANALYZE deliveries", cancellationToken);

        var indexes = await db.Database.SqlQueryRaw<string>(
            "SELECT indexdef AS \"Value\" FROM pg_indexes WHERE tablename = 'deliveries'").ToListAsync(cancellationToken);
        // The key, (RoutingId, EndpointId), the ordering guard's, the sweep's, (EndpointId, Status, CreatedAt), and the
        // listing's two: CreatedAt, and CreatedAt of dead letters.
        Assert.Equal(7, indexes.Count);
        Assert.DoesNotContain(indexes, i => i.Contains("\"EventId\"", StringComparison.Ordinal));
        // The sweep's index holds open deliveries only (a delivery's update to final adds no entry to it), named state by
        // state: its filter lists every state but the two final ones.
        var sweep = Assert.Single(indexes, i => i.Contains(SweepIndex, StringComparison.Ordinal));
        Assert.Contains(" WHERE ", sweep, StringComparison.Ordinal);
        Assert.All(Enum.GetValues<DeliveryStatus>(), status => Assert.Equal(
            status is not (DeliveryStatus.Delivered or DeliveryStatus.DeadLettered), sweep.Contains($"'{status}'", StringComparison.Ordinal)));

        Assert.Equal(due.Order(), (await DeliveryScheduler.Due(db, Now).Select(d => d.Id).ToListAsync(cancellationToken)).Order());
        await db.Database.OpenConnectionAsync(cancellationToken);
        await using var command = DeliveryScheduler.Due(db, Now).CreateDbCommand();
        var plan = await QueryPlans.ExplainAnalyzeAsync(command, cancellationToken);
        var read = QueryPlans.RowsRead(plan, "deliveries", _ => true);
        // Through the sweep's index and the ordering guard's (open rows only) the plan may visit each open row a few times.
        Assert.True(read <= 3 * Open, $"the sweep read {read} delivery rows for {due.Count} due, {Open} open and {Final} final; plan: {plan}");
        Assert.Contains(SweepIndex, plan.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public Task On_SQLite_the_sweep_searches_its_index() =>
        SqliteFileDatabase.UseServicesAsync("sweepplan", async services =>
        {
            var cancellationToken = TestContext.Current.CancellationToken;
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            var due = await SeedAsync(db);
            await db.Database.ExecuteSqlRawAsync("ANALYZE", cancellationToken);

            Assert.Equal(due.Order(), (await DeliveryScheduler.Due(db, Now).Select(d => d.Id).ToListAsync(cancellationToken)).Order());
            await db.Database.OpenConnectionAsync(cancellationToken);
            await using var command = DeliveryScheduler.Due(db, Now).CreateDbCommand();
            var steps = await QueryPlans.SqliteStepsAsync(command, cancellationToken);
            var plan = string.Join(" | ", steps);
            Assert.True(plan.Contains(SweepIndex, StringComparison.Ordinal), $"plan: {plan}; query: {command.CommandText}");
            Assert.DoesNotContain(steps, s => s.StartsWith("SCAN", StringComparison.Ordinal) && !s.Contains("INDEX", StringComparison.Ordinal));
        });

    [Fact]
    public Task On_SQLite_the_ordering_guard_searches_the_index_of_open_deliveries() =>
        SqliteFileDatabase.UseServicesAsync("guardplan", async services =>
        {
            // SQLite uses a partial index only where it finds the filter's own terms in the query: the filter is the
            // guard's condition as EF Core writes it here, two inequalities (written as a NOT IN, the table was scanned).
            var cancellationToken = TestContext.Current.CancellationToken;
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            await SeedAsync(db);
            await db.Database.ExecuteSqlRawAsync("ANALYZE", cancellationToken);

            var later = Delivery("u_pending0", DeliveryStatus.Waiting, Now, null);
            await db.Database.OpenConnectionAsync(cancellationToken);
            await using var command = db.Deliveries.UnfinishedPredecessors(later).CreateDbCommand();
            var steps = await QueryPlans.SqliteStepsAsync(command, cancellationToken);
            Assert.True(steps.Exists(s => s.StartsWith("SEARCH", StringComparison.Ordinal) && s.Contains(GuardIndex, StringComparison.Ordinal)),
                $"plan: {string.Join(" | ", steps)}; query: {command.CommandText}");
        });

    /// <summary>Final deliveries by the thousand and a few open ones, some due; the ids of those due.</summary>
    private static async Task<List<Guid>> SeedAsync(RewardEventsDbContext db)
    {
        List<Delivery> final = [.. Enumerable.Range(0, Final).Select(i => Delivery($"u_final{i}", i % 5 == 0 ? DeliveryStatus.DeadLettered : DeliveryStatus.Delivered, null, null))];
        List<Delivery> due =
        [
            .. Enumerable.Range(0, 5).Select(i => Delivery($"u_pending{i}", DeliveryStatus.Pending, Now.AddSeconds(-30), null)),
            .. Enumerable.Range(0, 2).Select(i => Delivery($"u_retrying{i}", DeliveryStatus.Retrying, Now.AddSeconds(-1), null)),
            .. Enumerable.Range(0, 3).Select(i => Delivery($"u_lost{i}", DeliveryStatus.InFlight, Now.AddSeconds(-40), Now.AddSeconds(-1))),
        ];
        List<Delivery> notYet =
        [
            .. Enumerable.Range(0, 5).Select(i => Delivery($"u_fresh{i}", DeliveryStatus.Pending, Now.AddSeconds(30), null)),
            .. Enumerable.Range(0, 3).Select(i => Delivery($"u_busy{i}", DeliveryStatus.InFlight, Now.AddSeconds(30), Now.AddSeconds(20))),
        ];
        Assert.Equal(Open, due.Count + notYet.Count);
        db.Deliveries.AddRange(final.Concat(due).Concat(notYet));
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return [.. due.Select(d => d.Id)];
    }

    private static Delivery Delivery(string userId, DeliveryStatus status, DateTime? nextAttemptAt, DateTime? leaseUntil)
    {
        var delivery = TestRows.Delivery("ep_sweep", userId, 1, status, Now.AddMinutes(-5));
        delivery.NextAttemptAt = nextAttemptAt;
        delivery.LeaseUntil = leaseUntil;
        return delivery;
    }
}
