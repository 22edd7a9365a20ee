using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RewardEvents.Fleet;
using RewardEvents.Fleet.Workers;
using RewardEvents.Persistence;
using RewardEvents.IntegrationTests.Persistence;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Workers;

/// <summary>
/// The worker's batched claim and batched "delivered" write, on PostgreSQL: what they may claim, that two
/// workers racing for the same deliveries never both get one, and what a batch of outcomes records.
/// </summary>
public sealed class GroupCommitTests(PostgresServer postgres) : IAsyncLifetime
{
    private static readonly DateTime At = new(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc);
    private ServiceProvider _services = null!;

    public async ValueTask InitializeAsync() => _services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "groupcommit");

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    /// <summary>The same batch through both implementations of the claim: one statement on PostgreSQL, two through EF Core elsewhere.</summary>
    [Theory]
    [InlineData("Postgres")]
    [InlineData("Sqlite")]
    public Task A_batch_claims_only_first_attempts_that_may_go_at_once(string provider) => OnProviderAsync(provider, ClaimABatchAsync);

    private static async Task ClaimABatchAsync(ServiceProvider services)
    {
        await SeedAsync(services,
            Endpoint("ep_plain"), Endpoint("ep_unordered", e => e.Ordering = EndpointOrdering.None), Endpoint("ep_limited", e => e.RateLimit = 5),
            Endpoint("ep_open", e => e.CircuitOpenUntil = At.AddHours(1)), Endpoint("ep_disabled", e => e.Enabled = false),
            Endpoint("ep_deleted", e => e.DeletedAt = At));
        var first = Delivery("ep_plain", "u1", 1);
        var behindFirst = Delivery("ep_plain", "u1", 2); // its predecessor is not final
        var otherUser = Delivery("ep_plain", "u2", 1);
        var unorderedBehind = Delivery("ep_unordered", "u1", 2, predecessorOf: Delivery("ep_unordered", "u1", 1));
        var limited = Delivery("ep_limited", "u3", 1);
        var open = Delivery("ep_open", "u3", 1);
        var disabled = Delivery("ep_disabled", "u3", 1);
        var deleted = Delivery("ep_deleted", "u3", 1);
        var retry = Delivery("ep_plain", "u4", 1, d => { d.Status = DeliveryStatus.Retrying; d.AttemptCount = 1; d.NextAttemptAt = At; });
        var inFlight = Delivery("ep_plain", "u5", 1, d => { d.Status = DeliveryStatus.InFlight; d.AttemptCount = 1; d.LeaseUntil = DateTime.UtcNow.AddMinutes(5); });
        var all = new[] { first, behindFirst, otherUser, unorderedBehind, limited, open, disabled, deleted, retry, inFlight };
        await SeedAsync(services, [.. all, .. all.Select(d => d.Predecessor).OfType<Seeded>()]);

        await using var claims = await StartAsync(new FirstAttemptClaims(
            services.GetRequiredService<IServiceScopeFactory>(), Options.Create(new DeliveryOptions()), TimeProvider.System, NullLogger<FirstAttemptClaims>.Instance));
        var unknown = Guid.NewGuid();
        var ids = all.Select(d => d.Row.Id).Append(first.Row.Id).Append(unknown).ToList(); // a duplicate message and an unknown id
        var loaded = await Task.WhenAll(ids.Select(id => claims.Service.LoadAsync(id, TestContext.Current.CancellationToken)));

        var claimed = loaded.Where(l => l is { Claimed: true }).Select(l => l!.Delivery.Id).ToList();
        Assert.Equal(new[] { first.Row.Id, otherUser.Row.Id, unorderedBehind.Row.Id }.Order(), claimed.Order());
        Assert.Null(loaded[^1]);
        Assert.All(loaded.Take(all.Length), l => Assert.NotNull(l!.Endpoint));
        Assert.All(loaded.Take(all.Length), l => Assert.Equal("{\"p\":1}", l!.Payload));

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        var rows = await db.Deliveries.AsNoTracking().ToDictionaryAsync(d => d.Id, TestContext.Current.CancellationToken);
        Assert.All(claimed, id => Assert.Equal((DeliveryStatus.InFlight, 1), (rows[id].Status, rows[id].AttemptCount)));
        Assert.Equal(DeliveryStatus.Pending, rows[behindFirst.Row.Id].Status);
        Assert.Equal(DeliveryStatus.Pending, rows[limited.Row.Id].Status);
        Assert.Equal((DeliveryStatus.Retrying, 1), (rows[retry.Row.Id].Status, rows[retry.Row.Id].AttemptCount));
        Assert.Equal(1, rows[inFlight.Row.Id].AttemptCount);
        // What the claim handed out is the row as claimed: the attempt is made from it.
        Assert.All(loaded.Where(l => l is { Claimed: true }), l => Assert.Equal(
            (rows[l!.Delivery.Id].Status, rows[l.Delivery.Id].AttemptCount, rows[l.Delivery.Id].LeaseUntil, rows[l.Delivery.Id].ManualRetry),
            (l.Delivery.Status, l.Delivery.AttemptCount, l.Delivery.LeaseUntil, l.Delivery.ManualRetry)));
        Assert.NotNull(rows[first.Row.Id].LeaseUntil);
    }

    /// <summary>
    /// The one-statement claim on PostgreSQL names the columns it reads and builds the rows itself, so a column the
    /// model gains must be added there too: every mapped property of a delivery and its endpoint, each seeded with
    /// a value other than its type's default, comes back as EF Core reads it.
    /// </summary>
    [Fact]
    public async Task The_claim_statement_reads_every_mapped_column_of_a_delivery_and_its_endpoint()
    {
        var endpoint = Endpoint("ep_full", e =>
        {
            e.Description = "every column"; e.Ordering = EndpointOrdering.None; e.Trigger = "{\"field\":\"amount\",\"op\":\"gt\",\"value\":1}";
            e.Headers = "{\"X-Tenant\":\"t1\"}"; e.RateLimit = 2.5; e.NextSlotAt = At.AddSeconds(5); e.RetrySchedule = "5s,1m"; e.Enabled = false;
            e.DisabledReason = "manual"; e.DeletedAt = At.AddSeconds(6); e.ConsecutiveFailures = 3; e.FailingSince = At.AddSeconds(7);
            e.CircuitOpenUntil = At.AddSeconds(8); e.Version = 4;
        });
        var seeded = Delivery("ep_full", "u_full", 7);
        var delivery = TestRows.DeliveryWithEveryColumn(seeded.Row.Id, seeded.Routing.CorrelationId, seeded.Row.EventId, "ep_full", "u_full", 7, At);
        await SeedAsync(endpoint, seeded.Routing, delivery);

        await using var claims = await StartAsync(new FirstAttemptClaims(
            _services.GetRequiredService<IServiceScopeFactory>(), Options.Create(new DeliveryOptions()), TimeProvider.System, NullLogger<FirstAttemptClaims>.Instance));
        var loaded = await claims.Service.LoadAsync(delivery.Id, TestContext.Current.CancellationToken);

        Assert.NotNull(loaded);
        Assert.False(loaded.Claimed);
        Assert.Equal("{\"p\":1}", loaded.Payload);
        await using var scope = _services.CreateAsyncScope();
        var model = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>().Model;
        MappedValues.AssertSame(model, delivery, loaded.Delivery);
        MappedValues.AssertSame(model, endpoint, loaded.Endpoint);
    }

    [Fact]
    public async Task Two_workers_racing_for_the_same_deliveries_never_both_claim_one()
    {
        await SeedAsync(Endpoint("ep_race", e => e.Ordering = EndpointOrdering.None));
        var deliveries = Enumerable.Range(0, 300).Select(i => Delivery("ep_race", $"u{i}", 1)).ToList();
        await SeedAsync([.. deliveries]);
        var factory = _services.GetRequiredService<IServiceScopeFactory>();
        await using var a = await StartAsync(new FirstAttemptClaims(factory, Options.Create(new DeliveryOptions()), TimeProvider.System, NullLogger<FirstAttemptClaims>.Instance));
        await using var b = await StartAsync(new FirstAttemptClaims(factory, Options.Create(new DeliveryOptions()), TimeProvider.System, NullLogger<FirstAttemptClaims>.Instance));

        var ct = TestContext.Current.CancellationToken;
        var results = await Task.WhenAll(deliveries.SelectMany(d => new[]
        {
            a.Service.LoadAsync(d.Row.Id, ct), b.Service.LoadAsync(d.Row.Id, ct),
        }));

        var claimsPerDelivery = results.Where(r => r!.Claimed).GroupBy(r => r!.Delivery.Id).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(deliveries.Count, claimsPerDelivery.Count); // each one claimed...
        Assert.All(claimsPerDelivery.Values, n => Assert.Equal(1, n)); // ...by exactly one of the two
    }

    /// <summary>
    /// The same batch through both implementations of the write: one statement on PostgreSQL, EF Core's
    /// transaction on the other providers (SQLite here).
    /// </summary>
    [Theory]
    [InlineData("Postgres")]
    [InlineData("Sqlite")]
    public Task A_batch_of_successes_records_attempts_finishes_deliveries_and_finds_parked_successors(string provider) =>
        OnProviderAsync(provider, WriteABatchOfSuccessesAsync);

    private static async Task WriteABatchOfSuccessesAsync(ServiceProvider services)
    {
        await SeedAsync(services, Endpoint("ep_w"), Endpoint("ep_x"));
        var done = Delivery("ep_w", "u1", 1, d => { d.Status = DeliveryStatus.InFlight; d.AttemptCount = 1; });
        var parked = Delivery("ep_w", "u1", 2, d => d.Status = DeliveryStatus.Waiting);
        var parkedLater = Delivery("ep_w", "u1", 3, d => d.Status = DeliveryStatus.Waiting);
        var alone = Delivery("ep_w", "u2", 1, d => { d.Status = DeliveryStatus.InFlight; d.AttemptCount = 1; });
        var alreadyFinal = Delivery("ep_w", "u3", 1, d => { d.Status = DeliveryStatus.DeadLettered; d.AttemptCount = 9; d.FinalAt = At; });
        // u4's next is retrying, not parked: the one parked behind it has nothing to gain from a wake-up.
        var beforeRetrying = Delivery("ep_w", "u4", 1, d => { d.Status = DeliveryStatus.InFlight; d.AttemptCount = 1; });
        var retrying = Delivery("ep_w", "u4", 2, d => { d.Status = DeliveryStatus.Retrying; d.AttemptCount = 1; d.NextAttemptAt = At.AddHours(1); });
        var behindRetrying = Delivery("ep_w", "u4", 3, d => d.Status = DeliveryStatus.Waiting);
        // u5's parked delivery is to another endpoint: not this one's successor.
        var otherEndpoint = Delivery("ep_w", "u5", 1, d => { d.Status = DeliveryStatus.InFlight; d.AttemptCount = 1; });
        var parkedElsewhere = Delivery("ep_x", "u5", 2, d => d.Status = DeliveryStatus.Waiting);
        await SeedAsync(services, done, parked, parkedLater, alone, alreadyFinal, beforeRetrying, retrying, behindRetrying, otherEndpoint, parkedElsewhere);

        // Queued before the writer starts, so all five are one batch.
        var writer = new DeliveredWriter(services.GetRequiredService<IServiceScopeFactory>(), NullLogger<DeliveredWriter>.Instance);
        var ct = TestContext.Current.CancellationToken;
        var writes = new[]
        {
            writer.WriteAsync(Attempt(done.Row, 1, 200), done.Row, 200, At.AddSeconds(1), ct),
            writer.WriteAsync(Attempt(alone.Row, 1, 204), alone.Row, 204, At.AddSeconds(2), ct),
            writer.WriteAsync(Attempt(alreadyFinal.Row, 10, 200), alreadyFinal.Row, 200, At.AddSeconds(3), ct),
            writer.WriteAsync(Attempt(beforeRetrying.Row, 1, 200), beforeRetrying.Row, 200, At.AddSeconds(1), ct),
            writer.WriteAsync(Attempt(otherEndpoint.Row, 1, 200), otherEndpoint.Row, 200, At.AddSeconds(1), ct),
        };
        await using var started = await StartAsync(writer);
        var outcomes = await Task.WhenAll(writes);

        Assert.Equal([true, true, false, true, true], outcomes.Select(o => o.Finished));
        var successor = outcomes[0].WaitingSuccessor;
        Assert.NotNull(successor);
        Assert.Equal(
            (parked.Row.Id, parked.Row.EventId, "ep_w", "u1", 2L),
            (successor.DeliveryId, successor.EventId, successor.EndpointId, successor.UserId, successor.Sequence));
        Assert.All(outcomes.Skip(1), o => Assert.Null(o.WaitingSuccessor));

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        var rows = await db.Deliveries.AsNoTracking().ToDictionaryAsync(d => d.Id, ct);
        Assert.Equal((DeliveryStatus.Delivered, 200, (DateTime?)null), (rows[done.Row.Id].Status, rows[done.Row.Id].LastStatusCode, rows[done.Row.Id].LeaseUntil));
        Assert.Equal((DeliveryStatus.Delivered, 204), (rows[alone.Row.Id].Status, rows[alone.Row.Id].LastStatusCode));
        Assert.All(outcomes, o => Assert.Equal(At.AddSeconds(3), o.FinalAt)); // the batch's one stamp
        Assert.Equal(outcomes[0].FinalAt, rows[done.Row.Id].FinalAt);
        Assert.Equal((DeliveryStatus.DeadLettered, At), (rows[alreadyFinal.Row.Id].Status, rows[alreadyFinal.Row.Id].FinalAt)); // untouched
        Assert.Equal(DeliveryStatus.Waiting, rows[parked.Row.Id].Status); // woken by the caller's message, not here
        var attempts = await db.Attempts.AsNoTracking().ToListAsync(ct);
        Assert.Equal(5, attempts.Count); // every attempt made is on record, even the late one
        var late = Assert.Single(attempts, a => a.DeliveryId == alreadyFinal.Row.Id);
        Assert.Equal((10, 200, true, "test", At, 3), (late.Number, late.StatusCode, late.Succeeded, late.WorkerId, late.StartedAt, late.DurationMs));
    }

    [Fact]
    public async Task One_bad_item_fails_only_its_own_caller_not_its_batch()
    {
        await SeedAsync(Endpoint("ep_p"));
        var good1 = Delivery("ep_p", "u1", 1, d => { d.Status = DeliveryStatus.InFlight; d.AttemptCount = 1; });
        var bad = Delivery("ep_p", "u2", 1, d => { d.Status = DeliveryStatus.InFlight; d.AttemptCount = 1; });
        var good2 = Delivery("ep_p", "u3", 1, d => { d.Status = DeliveryStatus.InFlight; d.AttemptCount = 1; });
        await SeedAsync(good1, bad, good2);

        // Queued before the writer starts, so all three are in its first batch.
        var writer = new DeliveredWriter(_services.GetRequiredService<IServiceScopeFactory>(), NullLogger<DeliveredWriter>.Instance);
        var ct = TestContext.Current.CancellationToken;
        var first = writer.WriteAsync(Attempt(good1.Row, 1, 200), good1.Row, 200, At, ct);
        var poison = new Attempt
        {
            DeliveryId = bad.Row.Id, Number = 1, StartedAt = At, DurationMs = 3, StatusCode = 200, Succeeded = true,
            ResponseBody = new string('x', 5000), // longer than the column allows
        };
        var failing = writer.WriteAsync(poison, bad.Row, 200, At, ct);
        var third = writer.WriteAsync(Attempt(good2.Row, 1, 200), good2.Row, 200, At, ct);
        await using var started = await StartAsync(writer);

        Assert.True((await first).Finished);
        Assert.True((await third).Finished);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => failing);
        Assert.Contains("value too long", error.GetBaseException().Message, StringComparison.Ordinal);

        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        var rows = await db.Deliveries.AsNoTracking().ToDictionaryAsync(d => d.Id, ct);
        Assert.Equal(DeliveryStatus.Delivered, rows[good1.Row.Id].Status);
        Assert.Equal(DeliveryStatus.Delivered, rows[good2.Row.Id].Status);
        Assert.Equal(DeliveryStatus.InFlight, rows[bad.Row.Id].Status); // left to its lease, as any failed write
        Assert.Equal(2, await db.Attempts.CountAsync(ct));
    }

    private static Attempt Attempt(Delivery delivery, int number, int status) => new()
    {
        DeliveryId = delivery.Id, Number = number, StartedAt = At, DurationMs = 3, StatusCode = status, Succeeded = true, WorkerId = "test",
    };

    private static async Task<Started<T>> StartAsync<T>(T service)
        where T : Microsoft.Extensions.Hosting.IHostedService
    {
        await service.StartAsync(TestContext.Current.CancellationToken);
        return new Started<T>(service);
    }

    private sealed record Started<T>(T Service) : IAsyncDisposable
        where T : Microsoft.Extensions.Hosting.IHostedService
    {
        public async ValueTask DisposeAsync() => await Service.StopAsync(CancellationToken.None);
    }

    /// <summary>Runs the test on this class's PostgreSQL database, or on a fresh SQLite file.</summary>
    private Task OnProviderAsync(string provider, Func<ServiceProvider, Task> test) =>
        provider == "Sqlite" ? SqliteFileDatabase.UseServicesAsync("groupcommit", test) : test(_services);

    private Task SeedAsync(params object[] rows) => SeedAsync(_services, rows);

    private static async Task SeedAsync(ServiceProvider services, params object[] rows)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        foreach (var row in rows)
        {
            if (row is Seeded seeded)
            {
                db.Add(seeded.Routing);
                db.Add(seeded.Row);
            }
            else
            {
                db.Add(row);
            }
        }

        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
    }

    private static WebhookEndpoint Endpoint(string id, Action<WebhookEndpoint>? configure = null) => TestRows.Endpoint(id, At, configure);

    private static Seeded Delivery(string endpointId, string userId, long sequence, Action<Delivery>? configure = null, Seeded? predecessorOf = null)
    {
        var routing = TestRows.Routing(userId, sequence, At);
        var delivery = new Delivery
        {
            Id = Guid.NewGuid(), RoutingId = routing.CorrelationId, EventId = routing.EventId, EventType = routing.EventType,
            EndpointId = endpointId, UserId = userId, Sequence = sequence, WebhookId = $"msg_{routing.EventId}", Status = DeliveryStatus.Pending,
            CreatedAt = At,
        };
        configure?.Invoke(delivery);
        return new Seeded(routing, delivery, predecessorOf);
    }

    /// <summary>A delivery with its routing row; <see cref="Predecessor"/> is an earlier one to seed alongside.</summary>
    private sealed record Seeded(RoutingState Routing, Delivery Row, Seeded? Predecessor);
}
