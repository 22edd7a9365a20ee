using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RewardEvents.Fleet.Workers;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Workers;

/// <summary>
/// After a worker's broker connection comes back, the deliveries whose transient messages a broker restart may have
/// dropped become due at once: only unclaimed ones, and only those dispatched before the loss was seen.
/// </summary>
public sealed class ExpediteUnclaimedTests(PostgresServer postgres)
{
    private static readonly DateTime Now = new(2026, 11, 24, 20, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Only_pending_deliveries_dispatched_before_the_loss_become_due_now()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "expedite");
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        var lostAt = Now.AddSeconds(-20);
        var rows = new Dictionary<string, Delivery>
        {
            // Dispatched before the loss: its message may be gone.
            ["before"] = Row("before", DeliveryStatus.Pending, lostAt.AddSeconds(-5) + Grace),
            ["at"] = Row("at", DeliveryStatus.Pending, lostAt + Grace),
            // Dispatched after it (another worker's sweep already sent it again): left alone.
            ["after"] = Row("after", DeliveryStatus.Pending, lostAt.AddSeconds(1) + Grace),
            // Already due: the sweep takes it anyway.
            ["due"] = Row("due", DeliveryStatus.Pending, Now.AddSeconds(-1)),
            // Not unclaimed deliveries: a retry keeps its schedule, a claimed one its lease, a parked one its recheck.
            ["retrying"] = Row("retrying", DeliveryStatus.Retrying, Now.AddSeconds(30)),
            ["in_flight"] = Row("in_flight", DeliveryStatus.InFlight, Now.AddSeconds(30)),
            ["waiting"] = Row("waiting", DeliveryStatus.Waiting, Now.AddSeconds(30)),
        };
        var before = rows.ToDictionary(r => r.Key, r => r.Value.NextAttemptAt);
        db.Deliveries.AddRange(rows.Values);
        await db.SaveChangesAsync(cancellationToken);

        var changed = await DeliveryScheduler.ExpediteUnclaimed(db, Now, lostAt + Grace, cancellationToken);

        Assert.Equal(2, changed);
        var after = await db.Deliveries.AsNoTracking().ToDictionaryAsync(d => d.UserId, d => d.NextAttemptAt, cancellationToken);
        Assert.Equal(Now, after["before"]);
        Assert.Equal(Now, after["at"]);
        foreach (var unchanged in new[] { "after", "due", "retrying", "in_flight", "waiting" })
        {
            Assert.Equal(before[unchanged], after[unchanged]);
        }
    }

    private static Delivery Row(string userId, DeliveryStatus status, DateTime nextAttemptAt)
    {
        var delivery = TestRows.Delivery("ep_expedite", userId, 1, status, Now.AddMinutes(-3));
        delivery.NextAttemptAt = nextAttemptAt;
        return delivery;
    }
}
