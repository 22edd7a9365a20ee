using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RewardEvents.Fleet.Api;
using RewardEvents.IntegrationTests.Endpoints;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Api;

/// <summary>
/// <c>GET /v1/events?user_id=</c>: a user's events latest first, by the sequence the router gave them, each with its
/// deliveries; a page reads its own rows however many events other users and the user have (PostgreSQL, from the plan).
/// </summary>
public sealed class EventsListingTests(PostgresServer postgres, EmbeddedServerFixture fixture) : IClassFixture<EmbeddedServerFixture>
{
    private const int Page = 100;
    private static readonly DateTime Start = new(2026, 11, 24, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task On_PostgreSQL_a_page_of_a_users_events_reads_about_its_own_rows()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "eventslisting");
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        // 200 users of 50 events each, one busy user of 3,000 and one with 3.
        var routings = (from user in Enumerable.Range(0, 200)
                        from sequence in Enumerable.Range(1, 50)
                        select TestRows.Routing($"u{user}", sequence, Start.AddSeconds(sequence))).ToList();
        routings.AddRange(Enumerable.Range(1, 3_000).Select(s => TestRows.Routing("u_busy", s, Start.AddSeconds(s))));
        routings.AddRange(Enumerable.Range(1, 3).Select(s => TestRows.Routing("u_few", s, Start.AddSeconds(s))));
        db.Routings.AddRange(routings);
        await db.SaveChangesAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("ANALYZE routings", cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);

        foreach (var (user, count) in new[] { ("u_busy", 3_000), ("u_few", 3), ("u7", 50), ("u_none", 0) })
        {
            var query = EventsApi.OfUser(db, user).Take(Page + 1);
            var expected = Enumerable.Range(1, count).Reverse().Take(Page + 1).Select(s => (long)s);
            Assert.Equal(expected, await query.Select(r => r.Sequence).ToListAsync(cancellationToken));

            // Under the plan made for the user, and under the generic one PostgreSQL may keep once the statement is prepared.
            var bound = 2 * Math.Min(Page + 1, count) + 5;
            foreach (var generic in new[] { false, true })
            {
                await using var command = query.CreateDbCommand();
                var plan = await QueryPlans.ExplainAnalyzeAsync(command, generic, cancellationToken);
                var read = QueryPlans.RowsRead(plan, "routings", _ => true);
                Assert.True(read <= bound, $"{user}, {(generic ? "generic" : "custom")} plan: a page read {read} routing rows of {routings.Count} (at most {bound} expected); plan: {plan}");
            }
        }
    }

    [Fact]
    public async Task Through_the_API_a_users_events_come_latest_first_with_their_deliveries_page_by_page()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var api = fixture.Server.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        var endpointId = (await EndpointApi.CreateAsync(api, new { url = receiver.Url, event_types = new[] { "reward.redeemed" } }))
            .GetProperty("id").GetString()!;
        var user = $"user_{Guid.NewGuid():N}";
        var events = Enumerable.Range(0, 5).Select(i => $"evt_{user}_{i}").ToList();
        foreach (var eventId in events)
        {
            await EndpointApi.PostEventAsync(api, eventId, user);
        }

        await Eventually.UntilAsync(() => Task.FromResult(receiver.Delivered().Count(d => d.EventId.StartsWith($"evt_{user}", StringComparison.Ordinal)) == 5),
            TimeSpan.FromSeconds(30), "the five events are delivered");

        var listed = new List<JsonElement>();
        int? offset = 0;
        while (offset is { } next)
        {
            var page = await api.GetFromJsonAsync<JsonElement>($"/v1/events?user_id={user}&limit=2&offset={next}", cancellationToken);
            listed.AddRange(page.GetProperty("items").EnumerateArray());
            offset = page.GetProperty("next_offset").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next_offset").GetInt32();
            Assert.True(listed.Count <= events.Count, "the pages went on past the user's last event");
        }

        // Every event once, latest first by the user's sequence (the router may take two events posted back to back in
        // either order; the listing follows the sequence it gave them).
        Assert.Equal(events.Order(StringComparer.Ordinal), listed.Select(e => e.GetProperty("event_id").GetString()!).Order(StringComparer.Ordinal));
        var sequences = listed.Select(e => e.GetProperty("sequence").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(1, events.Count).Reverse().Select(s => (long)s), sequences);
        Assert.All(listed, e =>
        {
            var delivery = Assert.Single(e.GetProperty("deliveries").EnumerateArray(), d => d.GetProperty("endpoint_id").GetString() == endpointId);
            Assert.Equal(e.GetProperty("event_id").GetString(), delivery.GetProperty("event_id").GetString());
        });

        var errors = await EndpointApi.ProblemErrorsAsync(await api.GetAsync("/v1/events", cancellationToken));
        Assert.Equal(["user_id"], errors.Keys);
        var none = await api.GetFromJsonAsync<JsonElement>("/v1/events?user_id=user_nobody", cancellationToken);
        Assert.Equal(0, none.GetProperty("items").GetArrayLength());
    }
}
