using Microsoft.EntityFrameworkCore;
using RewardEvents.Fleet.Routing;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Persistence;

/// <summary>The router's bulk completion, on PostgreSQL and SQLite: only sagas whose deliveries are all final complete.</summary>
public sealed class RoutingCompletionTests(PostgresServer postgres)
{
    [Fact]
    public async Task Completes_only_events_whose_deliveries_are_all_final_on_PostgreSQL()
    {
        var connectionString = await postgres.CreateDatabaseAsync("completion");
        await using var db = FleetDatabase.OpenPostgres(connectionString);
        await AssertCompletionAsync(db);
    }

    [Fact]
    public Task Completes_only_events_whose_deliveries_are_all_final_on_SQLite() =>
        SqliteFileDatabase.UseAsync("completion", AssertCompletionAsync);

    private static async Task AssertCompletionAsync(RewardEventsDbContext db)
    {
        var ct = TestContext.Current.CancellationToken;
        await db.Database.MigrateAsync(ct);
        var at = new DateTime(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc);
        var done = Routing("evt_done", "Delivering", at);
        var open = Routing("evt_open", "Delivering", at);
        var already = Routing("evt_already", "Completed", at);
        already.CompletedAt = at;
        db.Routings.AddRange(done, open, already);
        db.Deliveries.AddRange(
            Delivery(done, "ep_a", DeliveryStatus.Delivered, at.AddSeconds(3)),
            Delivery(done, "ep_b", DeliveryStatus.DeadLettered, at.AddSeconds(9)),
            Delivery(open, "ep_a", DeliveryStatus.Delivered, at.AddSeconds(2)),
            Delivery(open, "ep_b", DeliveryStatus.Retrying, null),
            Delivery(already, "ep_a", DeliveryStatus.Delivered, at));
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();

        Assert.Equal(1, await RoutingCompletion.CompleteAsync(db, ct));
        Assert.Equal(0, await RoutingCompletion.CompleteAsync(db, ct)); // idempotent: nothing new to complete

        var read = await db.Routings.AsNoTracking().ToDictionaryAsync(r => r.EventId, ct);
        Assert.Equal("Completed", read["evt_done"].CurrentState);
        Assert.Equal(at.AddSeconds(9), read["evt_done"].CompletedAt); // when the last delivery became final
        Assert.Equal(2, read["evt_done"].FinalCount);
        Assert.Equal(2, read["evt_done"].Version); // a saga transaction racing the sweep sees a new version
        Assert.Equal("Delivering", read["evt_open"].CurrentState);
        Assert.Null(read["evt_open"].CompletedAt);
        Assert.Equal(1, read["evt_already"].Version);

        // The last open delivery becomes final: the next sweep completes its event.
        await db.Deliveries.Where(d => d.EventId == "evt_open" && d.Status == DeliveryStatus.Retrying)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeliveryStatus.Delivered).SetProperty(d => d.FinalAt, at.AddSeconds(20)), ct);
        Assert.Equal(1, await RoutingCompletion.CompleteAsync(db, ct));
        var reopened = await db.Routings.AsNoTracking().SingleAsync(r => r.EventId == "evt_open", ct);
        Assert.Equal(("Completed", at.AddSeconds(20)), (reopened.CurrentState, reopened.CompletedAt));
    }

    private static RoutingState Routing(string eventId, string state, DateTime at) => new()
    {
        CorrelationId = Guid.NewGuid(), CurrentState = state, EventId = eventId, EventType = "reward.redeemed", UserId = "user_1",
        Sequence = 1, Payload = "{}", DeliveryCount = 2, ReceivedAt = at, Version = 1,
    };

    private static Delivery Delivery(RoutingState routing, string endpointId, DeliveryStatus status, DateTime? finalAt) => new()
    {
        Id = Guid.NewGuid(), RoutingId = routing.CorrelationId, EventId = routing.EventId, EventType = routing.EventType,
        EndpointId = endpointId, UserId = routing.UserId, Sequence = routing.Sequence, WebhookId = "msg_" + routing.EventId,
        Status = status, CreatedAt = routing.ReceivedAt, FinalAt = finalAt,
    };
}
