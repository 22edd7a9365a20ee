using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RewardEvents.Fleet.Api;
using RewardEvents.IntegrationTests.Persistence;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Api;

/// <summary>
/// <c>GET /v1/deliveries</c>, newest first: each filter returns what it names, in order, page by page; and a page costs
/// the database the rows on it, not a sort of every delivery ever kept (on PostgreSQL counted from the plan as it ran,
/// on SQLite from its plan's steps).
/// </summary>
public sealed class DeliveriesListingTests(PostgresServer postgres, EmbeddedServerFixture fixture) : IClassFixture<EmbeddedServerFixture>
{
    private const int Page = 100;
    private static readonly DateTime Start = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The filters an operator combines, as the API takes them: endpoint, status, minutes back from the newest.</summary>
    private static readonly (string? Endpoint, DeliveryStatus? Status, int? SinceMinutes)[] Filters =
    [
        (null, null, null),
        (null, DeliveryStatus.Delivered, null),
        (null, DeliveryStatus.DeadLettered, null),
        (null, DeliveryStatus.Retrying, null),
        ("ep_busy", null, null),
        ("ep_rare", null, null),
        ("ep_busy", DeliveryStatus.DeadLettered, null),
        ("ep_busy", DeliveryStatus.Delivered, null),
        ("ep_rare", DeliveryStatus.Delivered, null),
        (null, null, 600),
    ];

    [Fact]
    public async Task On_PostgreSQL_a_page_reads_about_its_own_rows_whatever_the_filter()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "listing");
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        var seeded = await SeedAsync(db, busy: 20_000);
        await db.Database.ExecuteSqlRawAsync("ANALYZE deliveries", cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);

        foreach (var (endpointId, status, sinceMinutes) in Filters)
        {
            var filter = $"endpoint {endpointId ?? "any"}, status {status?.ToString() ?? "any"}, since {sinceMinutes?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "ever"}";
            var since = sinceMinutes is { } minutes ? seeded.Max(d => d.CreatedAt).AddMinutes(-minutes) : (DateTime?)null;
            var matching = Expected(seeded, endpointId, status, since).ToList();
            // The first page, and where there are many a page by cursor from the middle of the listing: a cursor's page
            // starts at its row in the index, where an offset's would read every row it skips.
            var middle = matching.Count > 4 * Page ? matching[matching.Count / 2] : null;
            var pages = new List<(string Name, IQueryable<Delivery> Query, IEnumerable<Delivery> Rows)>
            {
                ("first page", DeliveriesApi.Listing(db, endpointId, status, since).Take(Page + 1), matching),
            };
            if (middle is not null)
            {
                var after = DeliveriesApi.Keyset.After(DeliveriesApi.Keyset.CursorOf(middle))!;
                pages.Add(("page by cursor", DeliveriesApi.Listing(db, endpointId, status, since).Where(after).Take(Page + 1), matching.SkipWhile(d => d != middle).Skip(1)));
            }

            foreach (var (name, query, rows) in pages)
            {
                var expected = rows.Take(Page + 1).ToList();
                Assert.Equal(expected.Select(d => d.Id), await query.Select(d => d.Id).ToListAsync(cancellationToken));

                // The page and the row after it, or every row the filter matches where they are fewer (a rare endpoint's,
                // the dead letters'), each read at most three times (in two indexes and the table). Under the plan made for
                // the values, and under the generic one PostgreSQL may keep for a statement prepared and run five times.
                var bound = 3 * expected.Count + 10;
                foreach (var generic in new[] { false, true })
                {
                    await using var command = query.CreateDbCommand();
                    // Endpoint and status are literals, so only `since` and the cursor are left for a generic plan to differ
                    // by (the page size changes nothing). As a parameter, the endpoint got a generic plan that read all 20,020
                    // rows for ep_rare.
                    Assert.DoesNotContain(command.Parameters.Cast<System.Data.Common.DbParameter>(), p => Equals(p.Value, endpointId));
                    var plan = await QueryPlans.ExplainAnalyzeAsync(command, generic && command.Parameters.Count > 1, cancellationToken);
                    var read = QueryPlans.RowsRead(plan, "deliveries", _ => true);
                    Assert.True(read <= bound, $"{filter}, {name}, {(generic ? "generic" : "custom")} plan: a page of {Page} read {read} delivery rows of {seeded.Count} (at most {bound} expected); plan: {plan}");
                }
            }
        }
    }

    [Fact]
    public Task On_SQLite_the_listing_walks_an_index_of_creation_times_instead_of_sorting_the_table() =>
        SqliteFileDatabase.UseServicesAsync("listing", async services =>
        {
            var cancellationToken = TestContext.Current.CancellationToken;
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            var seeded = await SeedAsync(db, busy: 300);
            Assert.Equal(
                Expected(seeded, null, DeliveryStatus.DeadLettered, null).Select(d => d.Id),
                await DeliveriesApi.Listing(db, null, DeliveryStatus.DeadLettered, null).Select(d => d.Id).ToListAsync(cancellationToken));

            await db.Database.OpenConnectionAsync(cancellationToken);
            // Every delivery: a walk of the index of creation times (ties put in order by id), never the table sorted.
            await using (var command = DeliveriesApi.Listing(db, null, null, null).Take(Page + 1).CreateDbCommand())
            {
                var steps = await QueryPlans.SqliteStepsAsync(command, cancellationToken);
                Assert.Contains(steps, s => s.Contains("USING INDEX IX_deliveries_CreatedAt", StringComparison.Ordinal));
                Assert.DoesNotContain("USE TEMP B-TREE FOR ORDER BY", steps);
            }

            // Dead letters: searched for in an index (SQLite's index of statuses has no filter), not found by a scan.
            await using (var command = DeliveriesApi.Listing(db, null, DeliveryStatus.DeadLettered, null).Take(Page + 1).CreateDbCommand())
            {
                var steps = await QueryPlans.SqliteStepsAsync(command, cancellationToken);
                Assert.Contains(steps, s => s.StartsWith("SEARCH", StringComparison.Ordinal) && s.Contains("USING INDEX", StringComparison.Ordinal));
                Assert.DoesNotContain(steps, s => s.StartsWith("SCAN", StringComparison.Ordinal));
            }
        });

    [Fact]
    public async Task Through_the_API_each_filter_returns_its_deliveries_newest_first_page_by_page()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var endpoint = $"ep_{Guid.NewGuid():N}"[..20];
        List<Delivery> seeded;
        await using (var scope = fixture.Server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            // Final deliveries only, to an endpoint the server does not know: no worker touches them.
            seeded = [.. Enumerable.Range(0, 25).Select(i => TestRows.Delivery(
                endpoint, $"u{i % 4}", i, i % 5 == 0 ? DeliveryStatus.DeadLettered : DeliveryStatus.Delivered, Start.AddMinutes(i)))];
            db.Deliveries.AddRange(seeded);
            await db.SaveChangesAsync(cancellationToken);
        }

        using var api = fixture.Server.CreateClient();
        var newestFirst = seeded.OrderByDescending(d => d.CreatedAt).Select(d => d.Id.ToString()).ToList();
        var pages = new List<string>();
        int? offset = 0;
        while (offset is { } next)
        {
            var page = await api.GetFromJsonAsync<JsonElement>($"/v1/deliveries?endpoint_id={endpoint}&limit=10&offset={next}", cancellationToken);
            pages.AddRange(page.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()!));
            offset = page.GetProperty("next_offset").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next_offset").GetInt32();
            Assert.True(pages.Count <= seeded.Count, "the pages went on past the last delivery");
        }

        Assert.Equal(newestFirst, pages);

        var deadLetters = await api.GetFromJsonAsync<JsonElement>($"/v1/deliveries?endpoint_id={endpoint}&status=dead_lettered", cancellationToken);
        Assert.Equal(
            seeded.Where(d => d.Status == DeliveryStatus.DeadLettered).OrderByDescending(d => d.CreatedAt).Select(d => d.Id.ToString()),
            deadLetters.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        Assert.All(deadLetters.GetProperty("items").EnumerateArray(), d => Assert.Equal("dead_lettered", d.GetProperty("status").GetString()));

        // An endpoint id goes into the SQL as a literal: one with quotes in it is escaped, matches nothing, harms nothing.
        var odd = await api.GetFromJsonAsync<JsonElement>($"/v1/deliveries?endpoint_id={Uri.EscapeDataString("ep_x'; DELETE FROM deliveries; --")}", cancellationToken);
        Assert.Equal(0, odd.GetProperty("items").GetArrayLength());

        var since = Start.AddMinutes(20).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var recent = await api.GetFromJsonAsync<JsonElement>($"/v1/deliveries?endpoint_id={endpoint}&since={Uri.EscapeDataString(since)}", cancellationToken);
        Assert.Equal(newestFirst.Take(5), recent.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
    }

    [Theory]
    [InlineData("finished")]
    [InlineData("99")]
    public async Task An_unknown_status_gets_a_400_problem_naming_the_field(string status)
    {
        using var api = fixture.Server.CreateClient();
        using var response = await api.GetAsync($"/v1/deliveries?status={status}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Contains("dead_lettered", problem.GetProperty("errors").GetProperty("status")[0].GetString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// A busy endpoint's deliveries, one a minute apart (one in 500 dead-lettered, the newest 30 retrying), and a rare
    /// endpoint's 20 among the oldest.
    /// </summary>
    private static async Task<List<Delivery>> SeedAsync(RewardEventsDbContext db, int busy)
    {
        var rows = new List<Delivery>();
        for (var i = 0; i < busy; i++)
        {
            var status = i >= busy - 30 ? DeliveryStatus.Retrying : i % 500 == 7 ? DeliveryStatus.DeadLettered : DeliveryStatus.Delivered;
            rows.Add(TestRows.Delivery("ep_busy", $"u{i % 97}", i, status, Start.AddMinutes(i)));
        }

        rows.AddRange(Enumerable.Range(0, 20).Select(i => TestRows.Delivery("ep_rare", "u_rare", i, DeliveryStatus.Delivered, Start.AddMinutes(i).AddSeconds(30))));
        db.Deliveries.AddRange(rows);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        db.ChangeTracker.Clear();
        return rows;
    }

    private static IEnumerable<Delivery> Expected(List<Delivery> seeded, string? endpointId, DeliveryStatus? status, DateTime? since) =>
        seeded.Where(d => (endpointId is null || d.EndpointId == endpointId) && (status is null || d.Status == status) && (since is null || d.CreatedAt >= since))
            .OrderByDescending(d => d.CreatedAt);
}
