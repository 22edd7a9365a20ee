using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RewardEvents.Contracts;
using RewardEvents.Fleet;
using RewardEvents.Fleet.Routing;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Routing;

/// <summary>
/// The router reads the user's counter, the endpoints' stamp and whether the event's saga exists in one query
/// (<see cref="RoutingSagaReader"/>), on real PostgreSQL: what it returns, that the saga of a routed event comes back
/// tracked, and that the running router uses it rather than a probe of its own.
/// </summary>
public sealed class RoutingSagaReaderTests(PostgresServer postgres) : IAsyncLifetime
{
    private static readonly DateTime At = new(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc);
    private string _connectionString = "";

    public async ValueTask InitializeAsync() =>
        _connectionString = await FleetDatabase.CreateMigratedPostgresDatabaseAsync(postgres, "sagareader");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task One_query_reads_the_users_counter_the_stamp_and_whether_the_saga_exists()
    {
        var ct = TestContext.Current.CancellationToken;
        var existing = TestRows.Routing("u_known", 4, At);
        existing.FinalCount = 1;
        existing.CompletedAt = At.AddSeconds(1);
        existing.Version = 2;
        var stamp = await SeedAsync(new UserSequence { UserId = "u_known", LastSequence = 4, Version = 2 }, existing);

        var commands = new CommandRecorder();
        await using var db = FleetDatabase.OpenPostgres(_connectionString, commands);
        var reader = new RoutingSagaReader();

        // A new event of a known user: no saga yet; the counter as stored.
        Assert.Null(await reader.ReadAsync(db, Redeemed("evt_new", "u_known"), Guid.NewGuid(), ct));
        Assert.Single(commands.Texts);
        Assert.Equal(new RoutingProbe(stamp, 4, 2), reader.TakeProbe("u_known"));
        Assert.Null(reader.TakeProbe("u_known")); // handed out once

        // A user the router has not seen: no counter.
        Assert.Null(await reader.ReadAsync(db, Redeemed("evt_first", "u_unseen"), Guid.NewGuid(), ct));
        Assert.Null(reader.TakeProbe("u_known")); // another user's probe is not handed out
        Assert.Null(await reader.ReadAsync(db, Redeemed("evt_first", "u_unseen"), Guid.NewGuid(), ct));
        Assert.Equal(new RoutingProbe(stamp, null, null), reader.TakeProbe("u_unseen"));

        // A duplicate of a routed event: its saga, tracked, so the saga's update saves through this context. The
        // probe found that it exists; its row is read by id in a second query.
        var saga = await reader.ReadAsync(db, Redeemed(existing.EventId, "u_known"), existing.CorrelationId, ct);
        Assert.NotNull(saga);
        Assert.Equal(5, commands.Texts.Count);
        Assert.All(commands.Texts, text => Assert.Contains("routings", text, StringComparison.Ordinal));
        Assert.DoesNotContain("user_sequences", commands.Texts[^1], StringComparison.Ordinal);
        Assert.Equal(new RoutingProbe(stamp, 4, 2), reader.TakeProbe("u_known"));
        MappedValues.AssertSame(db.Model, existing, saga);
        Assert.Equal(EntityState.Unchanged, db.Entry(saga).State);
        saga.FinalCount = 3;
        await db.SaveChangesAsync(ct);

        await using var read = FleetDatabase.OpenPostgres(_connectionString);
        Assert.Equal(3, (await read.Routings.AsNoTracking().SingleAsync(r => r.CorrelationId == existing.CorrelationId, ct)).FinalCount);
    }

    [Fact]
    public async Task Without_the_stamp_row_the_saga_is_read_alone_and_no_probe_is_handed_out()
    {
        var ct = TestContext.Current.CancellationToken;
        var existing = TestRows.Routing("u_nostamp", 1, At);
        await using (var seed = FleetDatabase.OpenPostgres(_connectionString))
        {
            seed.Routings.Add(existing);
            seed.UserSequences.Add(new UserSequence { UserId = "u_nostamp", LastSequence = 1, Version = 1 });
            await seed.SaveChangesAsync(ct);
            await seed.EndpointsStamps.ExecuteDeleteAsync(ct);
        }

        await using var db = FleetDatabase.OpenPostgres(_connectionString, new CommandRecorder());
        var reader = new RoutingSagaReader();

        var saga = await reader.ReadAsync(db, Redeemed(existing.EventId, "u_nostamp"), existing.CorrelationId, ct);

        Assert.NotNull(saga);
        Assert.Equal(EntityState.Unchanged, db.Entry(saga).State);
        Assert.Null(reader.TakeProbe("u_nostamp"));
        Assert.Null(await reader.ReadAsync(db, Redeemed("evt_other", "u_nostamp"), Guid.NewGuid(), ct));
    }

    /// <summary>
    /// In a running router (on PostgreSQL) the user's counter is read only with the saga row: no query reads
    /// <c>user_sequences</c> without <c>routings</c>, for a user's first event or their next.
    /// </summary>
    [Fact]
    public async Task The_running_router_reads_the_counter_only_with_the_saga_row()
    {
        var commands = new CapturingLoggerProvider(DbLoggerCategory.Database.Command.Name);
        await using var host = await FleetHost.StartAsync(FleetRoles.Api | FleetRoles.Router, new Dictionary<string, string?>
        {
            ["Transport:Kind"] = "InMemory",
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:RewardEvents"] = _connectionString,
        }, logging => logging.AddProvider(commands).AddFilter<CapturingLoggerProvider>(DbLoggerCategory.Database.Command.Name, LogLevel.Information));
        using var api = host.CreateClient();
        await Reliability.RetryScheduleTests.CreateEndpointAsync(api, "http://127.0.0.1:9/hook", ["reward.redeemed"]);

        await Reliability.RetryScheduleTests.PostEventAsync(api, "evt_reader_1", "u_router");
        await Reliability.RetryScheduleTests.PostEventAsync(api, "evt_reader_2", "u_router");
        await using var db = FleetDatabase.OpenPostgres(_connectionString);
        await Eventually.UntilAsync(
            async () => await db.Routings.AsNoTracking().CountAsync(r => r.UserId == "u_router") == 2,
            TimeSpan.FromSeconds(30), "both events are routed");
        Assert.Equal(2, (await db.UserSequences.AsNoTracking().SingleAsync(u => u.UserId == "u_router")).LastSequence);

        var counterReads = commands.Lines.Where(l => l.EventId.Id == RelationalEventId.CommandExecuted.Id).Select(l => l.Message)
            .Where(t => t.Contains("user_sequences", StringComparison.Ordinal)
            && !t.Contains("INSERT", StringComparison.Ordinal)).ToList();
        Assert.True(counterReads.Count >= 2, $"{counterReads.Count} reads of the counter");
        Assert.All(counterReads, text => Assert.Contains("routings", text, StringComparison.Ordinal));
    }

    /// <summary>
    /// In the router the first reads of the events it routes at once are one statement (<see cref="RoutingProbeReads"/>):
    /// one row per event, in order, each with its own user's counter and whether its own saga exists. Through the group
    /// read, reads queued before it starts make one batch, and the saga reader hands out each event's own probe.
    /// </summary>
    [Fact]
    public async Task Reads_of_events_routed_at_once_are_one_statement_each_with_its_own_answer()
    {
        var ct = TestContext.Current.CancellationToken;
        var existing = TestRows.Routing("u_group_known", 4, At);
        var stamp = await SeedAsync(new UserSequence { UserId = "u_group_known", LastSequence = 4, Version = 2 }, existing);

        (Guid, string)[] items = [(Guid.NewGuid(), "u_group_known"), (Guid.NewGuid(), "u_group_unseen"), (existing.CorrelationId, "u_group_known")];
        ProbeRead?[] expected =
        [
            new ProbeRead(new RoutingProbe(stamp, 4, 2), Routed: false),
            new ProbeRead(new RoutingProbe(stamp, null, null), Routed: false),
            new ProbeRead(new RoutingProbe(stamp, 4, 2), Routed: true),
        ];

        var commands = new CommandRecorder();
        await using (var db = FleetDatabase.OpenPostgres(_connectionString, commands))
        {
            Assert.Equal(expected, await RoutingProbeReads.ReadAsync(db, items, ct));
        }

        Assert.Single(commands.Texts);

        await using var services = await FleetDatabase.CreateMigratedAsync("Postgres", _connectionString);
        var groupReads = new RoutingProbeReads(services.GetRequiredService<IServiceScopeFactory>(), NullLogger<RoutingProbeReads>.Instance);
        var readers = items.Select(_ => new RoutingSagaReader(groupReads)).ToArray();
        var contexts = items.Select(_ => FleetDatabase.OpenPostgres(_connectionString)).ToArray();
        try
        {
            var reads = items.Select((item, i) => readers[i].ReadAsync(contexts[i], Redeemed($"evt_group_{i}", item.Item2), item.Item1, ct)).ToArray();
            Assert.All(reads, r => Assert.False(r.IsCompleted)); // queued, waiting for the group read
            await groupReads.StartAsync(ct);
            var sagas = await Task.WhenAll(reads);

            Assert.Null(sagas[0]);
            Assert.Null(sagas[1]);
            Assert.Equal(existing.CorrelationId, sagas[2]?.CorrelationId); // the routed event's row, read by id on its own context
            Assert.Equal(EntityState.Unchanged, contexts[2].Entry(sagas[2]!).State);
            for (var i = 0; i < items.Length; i++)
            {
                Assert.Equal(expected[i]!.Value.Probe, readers[i].TakeProbe(items[i].Item2));
            }
        }
        finally
        {
            await groupReads.StopAsync(ct);
            foreach (var context in contexts)
            {
                await context.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// The group read looks up each event's counter and saga by key, under the plan PostgreSQL may keep for the prepared
    /// statement (generic, made without the batch's values) with thousands of counters and sagas behind statistics taken
    /// when the tables were empty: at most one row of each per event.
    /// </summary>
    [Fact]
    public async Task The_group_read_looks_up_only_its_own_events_under_a_generic_plan()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = FleetDatabase.OpenPostgres(await FleetDatabase.CreateMigratedPostgresDatabaseAsync(postgres, "sagareaderplan"));
        await db.Database.ExecuteSqlRawAsync("ANALYZE user_sequences; ANALYZE routings", ct);
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO user_sequences ("UserId", "LastSequence", "Version") SELECT 'u_' || g, g, 1 FROM generate_series(1, 5000) AS g;
            INSERT INTO routings ("CorrelationId", "CurrentState", "EventId", "EventType", "UserId", "Sequence", "Payload",
                                  "DeliveryCount", "FinalCount", "ReceivedAt", "Version")
            SELECT gen_random_uuid(), 'Delivering', 'evt_' || g, 'reward.redeemed', 'u_' || g, 1, '{{}}', 1, 0, now(), 1
            FROM generate_series(1, 5000) AS g
            """, ct);
        var routed = await db.Routings.AsNoTracking().Where(r => r.UserId == "u_7").Select(r => r.CorrelationId).SingleAsync(ct);
        (Guid, string)[] items = [(routed, "u_7"), (Guid.NewGuid(), "u_8"), (Guid.NewGuid(), "u_unseen"), (Guid.NewGuid(), "u_9")];

        await db.Database.OpenConnectionAsync(ct);
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = RoutingProbeReads.Sql;
        command.Parameters.AddRange(RoutingProbeReads.Parameters(items));
        var plan = await QueryPlans.ExplainAnalyzeGenericAsync(command, ct);

        Assert.Equal(items.Length, plan.GetProperty("Actual Rows").GetDouble());
        var counters = QueryPlans.RowsRead(plan, "user_sequences", _ => true);
        Assert.True(counters <= items.Length, $"the group read of {items.Length} events read {counters} counter rows of 5,000; plan: {plan}");
        var sagas = QueryPlans.RowsRead(plan, "routings", _ => true);
        Assert.True(sagas <= items.Length, $"the group read of {items.Length} events read {sagas} routing rows of 5,000; plan: {plan}");
    }

    /// <summary>Stores a user's counter and a routed event's saga; the endpoints' stamp as it stands.</summary>
    private async Task<Guid> SeedAsync(UserSequence counter, RoutingState routing)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var seed = FleetDatabase.OpenPostgres(_connectionString);
        seed.UserSequences.Add(counter);
        seed.Routings.Add(routing);
        await seed.SaveChangesAsync(ct);
        return (await seed.EndpointsStamps.AsNoTracking().SingleAsync(ct)).Stamp;
    }

    private static RewardRedeemed Redeemed(string eventId, string userId) => new()
    {
        EventId = eventId, UserId = userId, RewardId = "reward_1", Amount = 10, Currency = "INR", Status = "success", OccurredAt = At,
    };
}
