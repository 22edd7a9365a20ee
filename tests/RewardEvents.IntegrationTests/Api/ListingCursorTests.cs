using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RewardEvents.IntegrationTests.Endpoints;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;

namespace RewardEvents.IntegrationTests.Api;

/// <summary>Cursor paging of the listings, on the embedded server (SQLite).</summary>
public sealed class ListingCursorTests(EmbeddedServerFixture fixture) : ListingCursorScenarios(fixture), IClassFixture<EmbeddedServerFixture>;

/// <summary>The same on PostgreSQL, which sorts Guids by their bytes where SQLite sorts their text.</summary>
public sealed class ListingCursorOnPostgresTests(PostgresEmbeddedServerFixture fixture)
    : ListingCursorScenarios(fixture), IClassFixture<PostgresEmbeddedServerFixture>;

/// <summary>
/// Walking a listing by <c>next_cursor</c> gives every row once, in the listing's own order, even with rows that share
/// the sort key cut apart by a page's end and newer rows arriving at the head between pages (where offsets would shift);
/// a cursor that is not one of the listing's is a 400 naming the field.
/// </summary>
public abstract class ListingCursorScenarios(EmbeddedServerFixture fixture)
{
    private static readonly DateTime Start = new(2026, 11, 25, 6, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Deliveries_walked_by_cursor_come_once_each_in_order_while_newer_ones_arrive()
    {
        var endpoint = $"ep_{Guid.NewGuid():N}"[..20];
        // Ten moments, three deliveries each (as an event's deliveries share their creation time); pages of four cut
        // through those ties. Final deliveries, to an endpoint the server does not know: no worker touches them.
        await SeedAsync(db => db.Deliveries.AddRange(Enumerable.Range(0, 30).Select(i =>
            TestRows.Delivery(endpoint, $"u{i}", i, DeliveryStatus.Delivered, Start.AddSeconds(i / 3)))));
        using var api = fixture.Server.CreateClient();
        var url = $"/v1/deliveries?endpoint_id={endpoint}";
        var listed = await IdsAsync(api, url + "&limit=500");
        Assert.Equal(30, listed.Count);

        var arrived = 0;
        var walked = await WalkAsync(api, url, 4, expectedPages: 8, () => SeedAsync(db => db.Deliveries.Add(
            TestRows.Delivery(endpoint, "u_new", 100 + arrived, DeliveryStatus.Delivered, Start.AddMinutes(10 + arrived++)))));

        Assert.Equal(listed, walked);
        Assert.Equal(7, arrived);
        Assert.Equal(37, (await IdsAsync(api, url + "&limit=500")).Count);
    }

    [Fact]
    public async Task A_users_events_walked_by_cursor_come_once_each_latest_first_while_newer_ones_arrive()
    {
        var user = $"user_{Guid.NewGuid():N}";
        await SeedAsync(db => db.Routings.AddRange(Enumerable.Range(1, 12).Select(s => TestRows.Routing(user, s, Start.AddSeconds(s)))));
        using var api = fixture.Server.CreateClient();
        var url = $"/v1/events?user_id={user}";

        var sequence = 12;
        var walked = await WalkAsync(api, url, 5, expectedPages: 3, () => SeedAsync(db => db.Routings.Add(
            TestRows.Routing(user, ++sequence, Start.AddSeconds(sequence)))), "event_id");

        var listed = (await api.GetFromJsonAsync<JsonElement>(url + "&limit=500", TestContext.Current.CancellationToken))
            .GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(14, listed.Count);
        Assert.Equal(Enumerable.Range(1, 14).Reverse().Select(s => (long)s), listed.Select(e => e.GetProperty("sequence").GetInt64()));
        // The walk saw the twelve there when it began, and none of the two that came while it went.
        Assert.Equal(listed.Skip(2).Select(e => e.GetProperty("event_id").GetString()!), walked);
    }

    [Fact]
    public async Task Endpoints_walked_by_cursor_come_once_each_in_the_listings_order()
    {
        // Disabled, so that nothing is delivered to them; created in pairs at the same moment.
        var ids = Enumerable.Range(0, 7).Select(i => $"ep_c_{Guid.NewGuid():N}").ToList();
        await SeedAsync(db => db.Endpoints.AddRange(ids.Select((id, i) => TestRows.Endpoint(id, Start.AddSeconds(i / 2), e => e.Enabled = false))));
        using var api = fixture.Server.CreateClient();
        var listed = (await IdsAsync(api, "/v1/endpoints?enabled=false&limit=500")).Where(ids.Contains).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));

        var walked = (await WalkAsync(api, "/v1/endpoints?enabled=false", 3, expectedPages: null, () => Task.CompletedTask)).Where(ids.Contains);
        Assert.Equal(listed, walked);
    }

    [Fact]
    public async Task A_cursor_that_is_not_the_listings_own_gets_a_400_problem_naming_the_field()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var user = $"user_{Guid.NewGuid():N}";
        await SeedAsync(db => db.Routings.AddRange(Enumerable.Range(1, 3).Select(s => TestRows.Routing(user, s, Start.AddSeconds(s)))));
        using var api = fixture.Server.CreateClient();
        var eventsCursor = (await api.GetFromJsonAsync<JsonElement>($"/v1/events?user_id={user}&limit=1", cancellationToken))
            .GetProperty("next_cursor").GetString()!;
        // The cursor works where it came from.
        Assert.Single((await api.GetFromJsonAsync<JsonElement>($"/v1/events?user_id={user}&limit=1&cursor={eventsCursor}", cancellationToken))
            .GetProperty("items").EnumerateArray());

        var deliveriesKey = $"deliveries:{Start.Ticks}.{Guid.NewGuid():N}";
        foreach (var url in new[]
                 {
                     $"/v1/deliveries?cursor={eventsCursor}",
                     "/v1/deliveries?cursor=not*base64",
                     $"/v1/deliveries?cursor={Encode("deliveries:yesterday.x")}",
                     $"/v1/deliveries?cursor={Encode($"deliveries:{Start.Ticks}.not-a-guid")}",
                     $"/v1/deliveries?cursor={Encode("deliveries:99999999999999999999.00000000000000000000000000000000")}",
                     $"/v1/deliveries?cursor={Encode(deliveriesKey)}&offset=0",
                     $"/v1/endpoints?cursor={Encode(deliveriesKey)}",
                     $"/v1/events?user_id={user}&cursor={Encode(deliveriesKey)}",
                 })
        {
            var errors = await EndpointApi.ProblemErrorsAsync(await api.GetAsync(url, cancellationToken));
            Assert.True(errors.Keys.SequenceEqual(["cursor"]), $"{url}: {string.Join(", ", errors.Keys)}");
        }

        // A well-formed cursor of the listing is taken, whether or not a row is still there.
        using var fine = await api.GetAsync($"/v1/deliveries?cursor={Encode(deliveriesKey)}&limit=1", cancellationToken);
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
    }

    private static string Encode(string text) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    private async Task SeedAsync(Action<RewardEventsDbContext> add)
    {
        await using var scope = fixture.Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        add(db);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
    }

    private static async Task<List<string>> IdsAsync(HttpClient api, string url) =>
        [.. (await api.GetFromJsonAsync<JsonElement>(url, TestContext.Current.CancellationToken)).GetProperty("items").EnumerateArray()
            .Select(d => d.GetProperty("id").GetString()!)];

    /// <summary>
    /// Follows <c>next_cursor</c> from the first page to the last, calling <paramref name="betweenPages"/> after each page
    /// that has a next one; the rows' <paramref name="idField"/>s in the order the pages gave them.
    /// </summary>
    private static async Task<List<string>> WalkAsync(
        HttpClient api, string url, int limit, int? expectedPages, Func<Task> betweenPages, string idField = "id")
    {
        var ids = new List<string>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var page = await api.GetFromJsonAsync<JsonElement>(
                $"{url}&limit={limit}{(cursor is null ? "" : "&cursor=" + cursor)}", TestContext.Current.CancellationToken);
            pages++;
            var items = page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty(idField).GetString()!).ToList();
            ids.AddRange(items);
            var next = page.GetProperty("next_cursor");
            cursor = next.ValueKind == JsonValueKind.Null ? null : next.GetString();
            // A page asked for by cursor has no offset to give; the first page, asked for with neither, does.
            Assert.Equal(pages == 1 && cursor is not null, page.GetProperty("next_offset").ValueKind == JsonValueKind.Number);
            Assert.True(cursor is null || items.Count == limit, $"page {pages} had {items.Count} rows and a next cursor");
            Assert.True(pages <= 100, "the pages went on without end");
            if (cursor is not null)
            {
                await betweenPages();
            }
        }
        while (cursor is not null);

        if (expectedPages is { } expected)
        {
            Assert.Equal(expected, pages);
        }

        return ids;
    }
}
