using Microsoft.EntityFrameworkCore;
using RewardEvents.Fleet.Routing;
using RewardEvents.IntegrationTests.Persistence;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;

namespace RewardEvents.IntegrationTests.Routing;

/// <summary>
/// The router's in-memory endpoint list, on a migrated SQLite database: endpoints are inserted here without
/// touching the stamp, so whether the list was read again shows in whether they appear.
/// </summary>
public sealed class EndpointDirectoryTests
{
    [Fact]
    public Task The_list_is_read_again_only_when_the_stamp_moves_or_the_copy_is_too_old() =>
        SqliteFileDatabase.UseAsync("directory", async db =>
        {
            var cancellationToken = TestContext.Current.CancellationToken;
            await db.Database.MigrateAsync(cancellationToken);
            var clock = new ManualClock();
            var directory = new EndpointDirectory(clock);
            var first = await StampAsync(db);

            await AddAsync(db, "ep_a");
            Assert.Equal(["ep_a"], await IdsAsync(directory, db, first));
            await AddAsync(db, "ep_b");
            Assert.Equal(["ep_a"], await IdsAsync(directory, db, first));

            await EndpointsStamp.TouchAsync(db, cancellationToken);
            var second = await StampAsync(db);
            Assert.NotEqual(first, second);
            Assert.Equal(["ep_a", "ep_b"], await IdsAsync(directory, db, second));

            await AddAsync(db, "ep_c");
            clock.Advance(EndpointDirectory.MaxAge - TimeSpan.FromSeconds(1));
            Assert.Equal(["ep_a", "ep_b"], await IdsAsync(directory, db, second));
            clock.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(["ep_a", "ep_b", "ep_c"], await IdsAsync(directory, db, second));

            // Without a stamp row there is nothing to trust a copy by: every call reads the list.
            await AddAsync(db, "ep_d");
            Assert.Equal(["ep_a", "ep_b", "ep_c", "ep_d"], await IdsAsync(directory, db, null));
        });

    private static async Task<Guid> StampAsync(RewardEventsDbContext db) =>
        (await db.EndpointsStamps.AsNoTracking().SingleAsync(s => s.Id == EndpointsStamp.RowId, TestContext.Current.CancellationToken)).Stamp;

    private static async Task AddAsync(RewardEventsDbContext db, string id)
    {
        db.Endpoints.Add(TestRows.Endpoint(id, DateTime.UtcNow));
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
    }

    private static async Task<List<string>> IdsAsync(EndpointDirectory directory, RewardEventsDbContext db, Guid? stamp) =>
        (await directory.LiveAsync(db, stamp, TestContext.Current.CancellationToken)).Select(e => e.Id).Order(StringComparer.Ordinal).ToList();

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
