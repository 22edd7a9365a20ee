using Microsoft.EntityFrameworkCore;
using RewardEvents.Fleet.Api;
using RewardEvents.Fleet.Routing;
using RewardEvents.Fleet.Workers;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;

namespace RewardEvents.IntegrationTests.Persistence;

/// <summary>
/// The workers' batch statements are written so that only the batch's keys are open to an index (a CASE,
/// scalar subqueries, an OR of NOT EXISTS), and the router reads its stamp and counter with one join.
/// SQLite and PostgreSQL run them in the end-to-end tests; SQL Server runs them only where Docker can host
/// it, so here at least EF Core must translate them for it. The same for the listings' pages by cursor.
/// </summary>
public sealed class BatchQueryTranslationTests
{
    [Fact]
    public void The_claim_and_finish_queries_translate_for_SQL_Server()
    {
        using var db = FleetDatabase.UnconnectedSqlServer();
        List<Guid> ids = [Guid.NewGuid(), Guid.NewGuid()];

        var claim = FirstAttemptClaims.Claimable(db, ids).ToQueryString();
        var finish = DeliveredWriter.Finishable(db, ids).ToQueryString();

        Assert.Contains("CASE", claim, StringComparison.Ordinal);
        Assert.Contains("NOT EXISTS", claim, StringComparison.Ordinal);
        Assert.Contains("CASE", finish, StringComparison.Ordinal);
    }

    [Fact]
    public void The_routers_probe_reads_the_counter_row_once_on_every_provider()
    {
        foreach (var db in FleetDatabase.UnconnectedPerProvider())
        {
            using var context = db;
            var probe = RoutingSagaReader.Probe(db, "user_1").ToQueryString();

            // One reference to the counter table: sequence and version from the same reading of the row.
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(probe, "user_sequences"));
            Assert.Contains("LEFT JOIN", probe, StringComparison.Ordinal);

            // Read with the saga row, each of the three tables once.
            var read = RoutingSagaReader.Read(db, "user_1", Guid.NewGuid()).ToQueryString();
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(read, "user_sequences"));
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(read, "\\brouting"));
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(read, "endpoints_stamp"));
        }
    }

    [Fact]
    public void The_listings_pages_by_cursor_compare_ids_in_SQL_on_every_provider()
    {
        var delivery = TestRows.Delivery("ep_1", "user_1", 7, DeliveryStatus.Delivered, new DateTime(2026, 11, 25, 6, 0, 0, DateTimeKind.Utc));
        var routing = TestRows.Routing("user_1", 7, delivery.CreatedAt);
        foreach (var db in FleetDatabase.UnconnectedPerProvider())
        {
            using var context = db;
            var provider = db.GetType().Name;
            var deliveries = DeliveriesApi.Listing(db, "ep_1", DeliveryStatus.Delivered, null)
                .Where(DeliveriesApi.Keyset.After(DeliveriesApi.Keyset.CursorOf(delivery))!).Take(101).ToQueryString();
            var events = EventsApi.OfUser(db, "user_1").Where(EventsApi.Keyset.After(EventsApi.Keyset.CursorOf(routing))!).Take(101).ToQueryString();

            // KeysetOrder.After as the database's own comparison of the id column with the cursor's id, beside the
            // time's (or sequence's) range that lets an index start at the cursor.
            Assert.Matches(@"[""\[]Id[""\]] > @", deliveries);
            Assert.Matches(@"[""\[]CreatedAt[""\]] <= @", deliveries);
            Assert.Matches(@"[""\[]CorrelationId[""\]] > @", events);
            Assert.Matches(@"[""\[]Sequence[""\]] <= @", events);
            Assert.True(deliveries.Contains("ORDER BY", StringComparison.Ordinal) && events.Contains("ORDER BY", StringComparison.Ordinal), provider);
        }
    }
}
