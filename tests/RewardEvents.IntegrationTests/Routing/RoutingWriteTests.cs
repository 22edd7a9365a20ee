using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Routing;

/// <summary>
/// On PostgreSQL a new event's routing (its saga, the user's counter, its deliveries) is saved as one statement
/// that checks the counter's version itself: what it writes, that a conflict or a refused row writes nothing,
/// and that any other set of changes is saved by EF Core as before. In the router the events routed at once are
/// saved together by one such statement (<see cref="RoutingGroupCommit"/>), each with its own outcome.
/// </summary>
public sealed class RoutingWriteTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string OneStatement = "WITH input AS";
    private static readonly DateTime At = new(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc);
    private string _connectionString = "";

    public async ValueTask InitializeAsync() =>
        _connectionString = await FleetDatabase.CreateMigratedPostgresDatabaseAsync(postgres, "routingwrite");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// The statement names the columns it writes, so a column the model gains must be added there too: every mapped
    /// property of the saga and of each delivery, each set to a value other than a new object's, is read back as set.
    /// </summary>
    [Fact]
    public async Task A_new_events_routing_is_one_statement_that_writes_every_mapped_column()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedCounterAsync("u_full", lastSequence: 6, version: 3);
        var routing = Routing("u_full", 7, r => { r.FinalCount = 1; r.CompletedAt = At.AddSeconds(1); r.Version = 2; });
        Delivery[] deliveries =
        [
            TestRows.DeliveryWithEveryColumn(Guid.NewGuid(), routing.CorrelationId, routing.EventId, "ep_a", "u_full", 7, At),
            TestRows.DeliveryWithEveryColumn(Guid.NewGuid(), routing.CorrelationId, routing.EventId, "ep_b", "u_full", 7, At),
        ];

        var commands = new CommandRecorder();
        await using (var db = FleetDatabase.OpenPostgres(_connectionString, commands))
        {
            TakeNextSequence(db, "u_full", 6, 3);
            db.Add(routing);
            db.AddRange(deliveries);

            Assert.Equal(4, await db.SaveChangesAsync(ct));
            Assert.All(db.ChangeTracker.Entries(), e => Assert.Equal(EntityState.Unchanged, e.State));
        }

        Assert.StartsWith(OneStatement, Assert.Single(commands.Texts), StringComparison.Ordinal);
        await using var read = FleetDatabase.OpenPostgres(_connectionString);
        MappedValues.AssertSame(read.Model, routing, await read.Routings.AsNoTracking().SingleAsync(r => r.CorrelationId == routing.CorrelationId, ct));
        foreach (var delivery in deliveries)
        {
            MappedValues.AssertSame(read.Model, delivery, await read.Deliveries.AsNoTracking().SingleAsync(d => d.Id == delivery.Id, ct));
        }

        Assert.Equal((7L, 4), await CounterAsync(read, "u_full"));
    }

    [Fact]
    public async Task A_user_new_to_the_router_gets_a_counter_and_an_event_that_matched_nothing_its_saga()
    {
        var ct = TestContext.Current.CancellationToken;
        var routing = Routing("u_new", 1);

        var commands = new CommandRecorder();
        await using (var db = FleetDatabase.OpenPostgres(_connectionString, commands))
        {
            db.UserSequences.Add(new UserSequence { UserId = "u_new", LastSequence = 1, Version = 1 });
            db.Add(routing);
            Assert.Equal(2, await db.SaveChangesAsync(ct));
        }

        Assert.StartsWith(OneStatement, Assert.Single(commands.Texts), StringComparison.Ordinal);
        await using var read = FleetDatabase.OpenPostgres(_connectionString);
        Assert.Equal((1L, 1), await CounterAsync(read, "u_new"));
        Assert.True(await read.Routings.AnyAsync(r => r.CorrelationId == routing.CorrelationId, ct));
        Assert.False(await read.Deliveries.AnyAsync(d => d.RoutingId == routing.CorrelationId, ct));
    }

    /// <summary>
    /// Two events of one user raced: the other took the counter first. As with EF Core's own check, the save fails
    /// with a concurrency conflict (the router's retry redoes the event); here nothing of it was written.
    /// </summary>
    [Theory]
    [InlineData(true)] // the counter read at version 4; the row is at 5
    [InlineData(false)] // the router found no counter; the other event made it
    public async Task A_counter_that_moved_since_it_was_read_writes_nothing(bool counterExisted)
    {
        var ct = TestContext.Current.CancellationToken;
        var user = $"u_race_{counterExisted}";
        await SeedCounterAsync(user, lastSequence: 5, version: 5);
        var routing = Routing(user, 5);

        await using (var db = FleetDatabase.OpenPostgres(_connectionString, new CommandRecorder()))
        {
            if (counterExisted)
            {
                TakeNextSequence(db, user, 4, 4);
            }
            else
            {
                db.UserSequences.Add(new UserSequence { UserId = user, LastSequence = 1, Version = 1 });
            }

            db.Add(routing);
            db.Add(DeliveryOf(routing, "ep_a"));
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => db.SaveChangesAsync(ct));
        }

        await AssertNothingWrittenAsync(routing, user, (5, 5));
    }

    /// <summary>
    /// A row the database refuses (an event id longer than its column) fails the whole statement: no saga, no
    /// delivery, the counter untouched. On the fleet's own registration (statements prepared on the server, one
    /// connection) the statement then runs again, on a fresh connection, for the next event.
    /// </summary>
    [Fact]
    public async Task A_refused_row_writes_nothing_and_the_next_routing_is_saved()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "routingrefused", ";Maximum Pool Size=1;Auto Prepare Min Usages=1");
        async Task SaveAsync(RoutingState routing, long lastSequence, int version, bool isNew)
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            if (isNew)
            {
                db.UserSequences.Add(new UserSequence { UserId = routing.UserId, LastSequence = lastSequence + 1, Version = version + 1 });
            }
            else
            {
                TakeNextSequence(db, routing.UserId, lastSequence, version);
            }

            db.Add(routing);
            db.Add(DeliveryOf(routing, "ep_a"));
            await db.SaveChangesAsync(ct);
        }

        await SaveAsync(Routing("u_refused", 1), 0, 0, isNew: true);
        var refused = Routing("u_refused", 2, r => r.EventId = new string('e', 300));
        var error = await Assert.ThrowsAsync<DbUpdateException>(() => SaveAsync(refused, 1, 1, isNew: false));
        Assert.Equal(PostgresErrorCodes.StringDataRightTruncation, Assert.IsType<PostgresException>(error.InnerException).SqlState);

        var next = Routing("u_refused", 2);
        await SaveAsync(next, 1, 1, isNew: false);

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        Assert.Equal((2L, 2), await CounterAsync(db, "u_refused"));
        Assert.False(await db.Routings.AnyAsync(r => r.CorrelationId == refused.CorrelationId, ct));
        Assert.False(await db.Deliveries.AnyAsync(d => d.RoutingId == refused.CorrelationId, ct));
        Assert.Equal(1, await db.Deliveries.CountAsync(d => d.RoutingId == next.CorrelationId, ct));
    }

    /// <summary>Anything but a new event's routing is saved by EF Core: a saga alone, a saga changed, rows of another event.</summary>
    [Fact]
    public async Task Other_changes_are_saved_by_EF_Core()
    {
        var ct = TestContext.Current.CancellationToken;
        var alone = Routing("u_other", 1);
        var commands = new CommandRecorder();
        await using (var db = FleetDatabase.OpenPostgres(_connectionString, commands))
        {
            db.Add(alone); // the saga repository's insert of a saga before its activities run
            await db.SaveChangesAsync(ct);

            alone.CurrentState = "Completed";
            alone.Version++;
            await db.SaveChangesAsync(ct);

            // A counter and a saga, but a delivery of another event among them.
            var routing = Routing("u_other", 2);
            db.UserSequences.Add(new UserSequence { UserId = "u_other", LastSequence = 2, Version = 1 });
            db.Add(routing);
            db.Add(TestRows.Delivery("ep_a", "u_other", 2, DeliveryStatus.Pending, At));
            await db.SaveChangesAsync(ct);
        }

        Assert.Equal(3, commands.Texts.Count);
        Assert.All(commands.Texts, text => Assert.DoesNotContain(OneStatement, text, StringComparison.Ordinal));
        await using var read = FleetDatabase.OpenPostgres(_connectionString);
        Assert.Equal("Completed", await read.Routings.Where(r => r.CorrelationId == alone.CorrelationId).Select(r => r.CurrentState).SingleAsync(ct));
        Assert.Equal(2, await read.Routings.CountAsync(r => r.UserId == "u_other", ct));
    }

    /// <summary>
    /// Events saved while the router's group commit is busy go in one statement, one commit: each still gets its own
    /// outcome, and a user's events go in statements of their own, in the order they came. Here the group commit is
    /// started only once every save has queued, so they all make one batch; rows inserted by one statement share their
    /// transaction id (<c>xmin</c>).
    /// </summary>
    [Fact]
    public async Task Events_saved_at_once_are_written_in_one_statement_each_with_its_own_outcome()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = await GroupCommitServicesAsync("routinggroup");
        await SeedCounterAsync(services, "g_a", lastSequence: 3, version: 3);
        await SeedCounterAsync(services, "g_stale", lastSequence: 2, version: 2);
        var groupCommit = services.GetRequiredService<RoutingGroupCommit>();

        var first = Routing("g_a", 4);
        var newUser = Routing("g_new", 1);
        var raced = Routing("g_a", 4); // read the counter as `first` did: it conflicts once `first` has taken it
        var stale = Routing("g_stale", 2); // read version 1; the row is at 2
        var second = Routing("g_a", 5); // read the counter after `first` took it
        var saves = new List<Task<int>>
        {
            SaveAsync(services, first, 3, 3),
            SaveAsync(services, newUser, null, null),
            SaveAsync(services, raced, 3, 3),
            SaveAsync(services, stale, 1, 1),
            SaveAsync(services, second, 4, 4),
        };
        Assert.All(saves, s => Assert.False(s.IsCompleted)); // queued, waiting for the group commit

        await groupCommit.StartAsync(ct);
        try
        {
            Assert.Equal(3, await saves[0]);
            Assert.Equal(3, await saves[1]);
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => saves[2]);
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => saves[3]);
            Assert.Equal(3, await saves[4]);
        }
        finally
        {
            await groupCommit.StopAsync(ct);
        }

        await using var scope = services.CreateAsyncScope();
        var read = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        Assert.Equal((5L, 5), await CounterAsync(read, "g_a"));
        Assert.Equal((1L, 1), await CounterAsync(read, "g_new"));
        Assert.Equal((2L, 2), await CounterAsync(read, "g_stale"));
        foreach (var (routing, written) in new[] { (first, true), (newUser, true), (raced, false), (stale, false), (second, true) })
        {
            Assert.Equal(written, await read.Routings.AnyAsync(r => r.CorrelationId == routing.CorrelationId, ct));
            Assert.Equal(written ? 1 : 0, await read.Deliveries.CountAsync(d => d.RoutingId == routing.CorrelationId, ct));
        }

        var firstStatement = await TransactionOfAsync(read, first);
        Assert.Equal(firstStatement, await TransactionOfAsync(read, newUser));
        Assert.NotEqual(firstStatement, await TransactionOfAsync(read, second)); // g_a's second event: the next statement
    }

    /// <summary>A row the database refuses fails the statement; the batch's events are then written one by one, so only its own event fails.</summary>
    [Fact]
    public async Task A_refused_row_in_a_group_fails_only_its_own_event()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = await GroupCommitServicesAsync("routinggrouprefused");
        var groupCommit = services.GetRequiredService<RoutingGroupCommit>();
        var before = Routing("g_before", 1);
        var refused = Routing("g_refused", 1, r => r.EventId = new string('e', 300));
        var after = Routing("g_after", 1);
        var saves = new[] { SaveAsync(services, before, null, null), SaveAsync(services, refused, null, null), SaveAsync(services, after, null, null) };

        await groupCommit.StartAsync(ct);
        try
        {
            Assert.Equal(3, await saves[0]);
            var error = await Assert.ThrowsAsync<DbUpdateException>(() => saves[1]);
            Assert.Equal(PostgresErrorCodes.StringDataRightTruncation, Assert.IsType<PostgresException>(error.InnerException).SqlState);
            Assert.Equal(3, await saves[2]);
        }
        finally
        {
            await groupCommit.StopAsync(ct);
        }

        await using var scope = services.CreateAsyncScope();
        var read = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        Assert.True(await read.Routings.AnyAsync(r => r.CorrelationId == before.CorrelationId, ct));
        Assert.True(await read.Routings.AnyAsync(r => r.CorrelationId == after.CorrelationId, ct));
        Assert.False(await read.Routings.AnyAsync(r => r.CorrelationId == refused.CorrelationId, ct));
        Assert.False(await read.Deliveries.AnyAsync(d => d.RoutingId == refused.CorrelationId, ct));
        Assert.False(await read.UserSequences.AnyAsync(u => u.UserId == "g_refused", ct));
    }

    /// <summary>A context with a transaction of its own writes on its own connection, in that transaction, not through the group commit (not started here).</summary>
    [Fact]
    public async Task A_context_in_a_transaction_of_its_own_writes_without_the_group_commit()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var services = await GroupCommitServicesAsync("routinggrouptransaction");
        var routing = Routing("g_transaction", 1);
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            db.UserSequences.Add(new UserSequence { UserId = routing.UserId, LastSequence = 1, Version = 1 });
            db.Add(routing);
            Assert.Equal(2, await db.SaveChangesAsync(ct));
            await transaction.RollbackAsync(ct);
        }

        await using var read = services.CreateAsyncScope();
        Assert.False(await read.ServiceProvider.GetRequiredService<RewardEventsDbContext>().Routings.AnyAsync(r => r.CorrelationId == routing.CorrelationId, ct));
    }

    /// <summary>A migrated database registered as the router registers it: pooled contexts and the group commit (not started).</summary>
    private async Task<ServiceProvider> GroupCommitServicesAsync(string name)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:RewardEvents"] = await FleetDatabase.CreateMigratedPostgresDatabaseAsync(postgres, name),
        }).Build();
        return new ServiceCollection().AddLogging().AddRewardEventsDatabase(configuration).AddRoutingGroupCommit().BuildServiceProvider();
    }

    /// <summary>Starts a router's save of a new event's routing with one delivery, on a context of its own; it returns once the save is queued.</summary>
    private static Task<int> SaveAsync(ServiceProvider services, RoutingState routing, long? lastSequence, int? version)
    {
        var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        if (lastSequence is { } last && version is { } v)
        {
            TakeNextSequence(db, routing.UserId, last, v);
        }
        else
        {
            db.UserSequences.Add(new UserSequence { UserId = routing.UserId, LastSequence = 1, Version = 1 });
        }

        db.Add(routing);
        db.Add(DeliveryOf(routing, "ep_a"));
        var save = db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return DisposeAfterAsync(save, scope);

        static async Task<int> DisposeAfterAsync(Task<int> save, AsyncServiceScope scope)
        {
            await using (scope)
            {
                return await save;
            }
        }
    }

    private static async Task SeedCounterAsync(ServiceProvider services, string user, long lastSequence, int version)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        db.UserSequences.Add(new UserSequence { UserId = user, LastSequence = lastSequence, Version = version });
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The transaction that inserted a routing's row.</summary>
    private static Task<string> TransactionOfAsync(RewardEventsDbContext db, RoutingState routing) =>
        db.Database.SqlQuery<string>($"SELECT xmin::text AS \"Value\" FROM routings WHERE \"CorrelationId\" = {routing.CorrelationId}")
            .SingleAsync(TestContext.Current.CancellationToken);

    private async Task AssertNothingWrittenAsync(RoutingState routing, string user, (long LastSequence, int Version) counter)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var read = FleetDatabase.OpenPostgres(_connectionString);
        Assert.False(await read.Routings.AnyAsync(r => r.CorrelationId == routing.CorrelationId, ct));
        Assert.False(await read.Deliveries.AnyAsync(d => d.RoutingId == routing.CorrelationId, ct));
        Assert.Equal(counter, await CounterAsync(read, user));
    }

    private async Task SeedCounterAsync(string user, long lastSequence, int version)
    {
        await using var db = FleetDatabase.OpenPostgres(_connectionString);
        db.UserSequences.Add(new UserSequence { UserId = user, LastSequence = lastSequence, Version = version });
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>As the router takes a user's next number: the counter attached as read, then moved on.</summary>
    private static void TakeNextSequence(RewardEventsDbContext db, string user, long lastSequence, int version)
    {
        var counter = new UserSequence { UserId = user, LastSequence = lastSequence, Version = version };
        db.UserSequences.Attach(counter);
        counter.LastSequence++;
        counter.Version++;
    }

    private static RoutingState Routing(string user, long sequence, Action<RoutingState>? configure = null)
    {
        var routing = TestRows.Routing(user, sequence, At);
        configure?.Invoke(routing);
        return routing;
    }

    private static Delivery DeliveryOf(RoutingState routing, string endpointId) =>
        TestRows.DeliveryWithEveryColumn(Guid.NewGuid(), routing.CorrelationId, routing.EventId, endpointId, routing.UserId, routing.Sequence, At);

    private static async Task<(long LastSequence, int Version)> CounterAsync(RewardEventsDbContext db, string user)
    {
        var counter = await db.UserSequences.AsNoTracking().SingleAsync(u => u.UserId == user, TestContext.Current.CancellationToken);
        return (counter.LastSequence, counter.Version);
    }
}
