using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RewardEvents.IntegrationTests.Api;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Endpoints;

/// <summary>Listing, updating, triggers and stats of endpoints, on the embedded server (SQLite) with real receivers.</summary>
public sealed class EndpointManagementTests(EmbeddedServerFixture fixture)
    : EndpointManagementScenarios(fixture), IClassFixture<EmbeddedServerFixture>;

/// <summary>The same on PostgreSQL: the stats' in-database percentiles, PATCH and the rate limit's conditional updates.</summary>
public sealed class EndpointManagementOnPostgresTests(PostgresEmbeddedServerFixture fixture)
    : EndpointManagementScenarios(fixture), IClassFixture<PostgresEmbeddedServerFixture>;

public abstract class EndpointManagementScenarios(EmbeddedServerFixture fixture)
{
    [Fact]
    public async Task Endpoints_are_listed_in_pages_and_filtered_by_enabled()
    {
        using var api = fixture.Server.CreateClient();
        var on = (await EndpointApi.CreateAsync(api, new { url = "http://127.0.0.1:9/on" })).GetProperty("id").GetString()!;
        var off = (await EndpointApi.CreateAsync(api, new { url = "http://127.0.0.1:9/off" })).GetProperty("id").GetString()!;
        await EndpointApi.PatchAsync(api, off, """{"enabled":false}""");

        var disabled = await api.GetFromJsonAsync<JsonElement>("/v1/endpoints?enabled=false&limit=500");
        var disabledIds = disabled.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetString()).ToList();
        Assert.Contains(off, disabledIds);
        Assert.DoesNotContain(on, disabledIds);
        var enabled = await api.GetFromJsonAsync<JsonElement>("/v1/endpoints?enabled=true&limit=500");
        Assert.Contains(on, enabled.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetString()));

        var first = await api.GetFromJsonAsync<JsonElement>("/v1/endpoints?limit=1");
        Assert.Single(first.GetProperty("items").EnumerateArray());
        Assert.Equal(1, first.GetProperty("next_offset").GetInt32());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("items")[0].GetProperty("secret").ValueKind);
    }

    [Fact]
    public async Task A_patch_changes_only_what_it_names_and_null_clears_an_optional_setting()
    {
        using var api = fixture.Server.CreateClient();
        var id = (await EndpointApi.CreateAsync(api, new { url = "http://127.0.0.1:9/a", description = "first", event_types = new[] { "reward.redeemed" } }))
            .GetProperty("id").GetString()!;
        var patched = await EndpointApi.PatchAsync(api, id,
            """{"url":"http://127.0.0.1:9/b","ordering":"none","rate_limit":5,"headers":{"X-Tenant":"t1"},"trigger":{"field":"currency","op":"==","value":"INR"}}""");
        Assert.Equal("http://127.0.0.1:9/b", patched.GetProperty("url").GetString());
        Assert.Equal("first", patched.GetProperty("description").GetString());
        Assert.Equal(["reward.redeemed"], patched.GetProperty("event_types").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("none", patched.GetProperty("ordering").GetString());
        Assert.Equal(5, patched.GetProperty("rate_limit").GetDouble());
        Assert.Equal("t1", patched.GetProperty("headers").GetProperty("x-tenant").GetString());
        Assert.Equal("INR", patched.GetProperty("trigger").GetProperty("value").GetString());

        var cleared = await EndpointApi.PatchAsync(api, id, """{"description":null,"rate_limit":null,"trigger":null,"headers":null}""");
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("description").ValueKind);
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("rate_limit").ValueKind);
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("trigger").ValueKind);
        Assert.Empty(cleared.GetProperty("headers").EnumerateObject());
        Assert.Equal("http://127.0.0.1:9/b", cleared.GetProperty("url").GetString());
    }

    [Fact]
    public async Task A_bad_patch_names_every_bad_field_and_changes_nothing()
    {
        using var api = fixture.Server.CreateClient();
        var id = (await EndpointApi.CreateAsync(api, new { url = "http://127.0.0.1:9/keep" })).GetProperty("id").GetString()!;
        var errors = await EndpointApi.ProblemErrorsAsync(await api.PatchAsync($"/v1/endpoints/{id}", EndpointApi.Json(
            """{"url":"ftp://x","ordering":"sometimes","rate_limit":-1,"headers":{"webhook-id":"x","Host":"y","ok":"fine"},"enabled":"yes","colour":"red","trigger":{"all":[{"field":"amount","op":">=","value":1},{"field":"currency","op":"~","value":"INR"}]}}""")));
        Assert.Equal(
            ["colour", "enabled", "headers.Host", "headers.webhook-id", "ordering", "rate_limit", "trigger.all[1].op", "url"],
            errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("http://127.0.0.1:9/keep", (await api.GetFromJsonAsync<JsonElement>($"/v1/endpoints/{id}")).GetProperty("url").GetString());
        using var missing = await api.PatchAsync("/v1/endpoints/ep_missing", EndpointApi.Json("""{"enabled":true}"""));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task An_invalid_trigger_is_refused_on_create_with_a_problem_pointing_at_the_bad_part()
    {
        using var api = fixture.Server.CreateClient();
        var errors = await EndpointApi.ProblemErrorsAsync(await api.PostAsync("/v1/endpoints", EndpointApi.Json(
            """{"url":"http://127.0.0.1:9/t","trigger":{"any":[{"field":"status","op":"in","value":["failed"]},{"field":"colour","op":"==","value":"red"}]}}""")));
        Assert.Equal(["trigger.any[1].field"], errors.Keys);
        Assert.Contains("Unknown field 'colour'", errors["trigger.any[1].field"][0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_trigger_lets_through_only_the_events_it_describes()
    {
        using var api = fixture.Server.CreateClient();
        await using var filtered = await TestReceiver.StartAsync();
        await using var everything = await TestReceiver.StartAsync();
        var filteredId = (await EndpointApi.CreateAsync(api, new
        {
            url = filtered.Url, event_types = new[] { "reward.redeemed" },
            trigger = JsonDocument.Parse("""{"all":[{"field":"amount","op":">=","value":1000},{"field":"currency","op":"==","value":"INR"}]}""").RootElement,
        })).GetProperty("id").GetString()!;
        await EndpointApi.CreateAsync(api, new { url = everything.Url, event_types = new[] { "reward.redeemed" } });

        await EndpointApi.PostEventAsync(api, "evt_trig_small", "user_trig", amount: 999.99m);
        await EndpointApi.PostEventAsync(api, "evt_trig_usd", "user_trig", amount: 5000, currency: "USD");
        await EndpointApi.PostEventAsync(api, "evt_trig_big", "user_trig", amount: 1000);
        await Eventually.UntilAsync(() => Task.FromResult(everything.Delivered().Count == 3), TimeSpan.FromSeconds(30), "the unfiltered endpoint gets all three");
        await Eventually.UntilAsync(() => Task.FromResult(filtered.Delivered().Count == 1), TimeSpan.FromSeconds(30), "the filtered endpoint gets one");
        Assert.Equal("evt_trig_big", Assert.Single(filtered.Delivered()).EventId);
        foreach (var id in new[] { "evt_trig_small", "evt_trig_usd" })
        {
            Assert.Equal([filteredId], await EndpointsNotRoutedAsync(api, id, filteredId));
        }
    }

    [Fact]
    public async Task Creating_changing_and_deleting_an_endpoint_applies_to_the_next_event_routed()
    {
        // The router holds the endpoint list in memory; each change must reach the very next event.
        using var api = fixture.Server.CreateClient();
        await using var witness = await TestReceiver.StartAsync();
        await using var changed = await TestReceiver.StartAsync();
        await using var added = await TestReceiver.StartAsync();
        await EndpointApi.CreateAsync(api, new { url = witness.Url, event_types = new[] { "reward.redeemed" } });
        var changedId = (await EndpointApi.CreateAsync(api, new { url = changed.Url, event_types = new[] { "reward.redeemed" } })).GetProperty("id").GetString()!;
        await EndpointApi.PostEventAsync(api, "evt_dir_1", "user_dir");
        await Eventually.UntilAsync(() => Task.FromResult(changed.Delivered().Any(d => d.EventId == "evt_dir_1")), TimeSpan.FromSeconds(30), "the first event reaches the endpoint to be changed");

        await EndpointApi.PatchAsync(api, changedId, """{"event_types":["reward.redemption_failed"]}""");
        var addedId = (await EndpointApi.CreateAsync(api, new { url = added.Url, event_types = new[] { "reward.redeemed" } })).GetProperty("id").GetString()!;
        await EndpointApi.PostEventAsync(api, "evt_dir_2", "user_dir");
        await Eventually.UntilAsync(() => Task.FromResult(added.Delivered().Any(d => d.EventId == "evt_dir_2")), TimeSpan.FromSeconds(30), "the new endpoint gets the next event");
        Assert.Equal([changedId], await EndpointsNotRoutedAsync(api, "evt_dir_2", changedId, addedId));

        using (var deleted = await api.DeleteAsync($"/v1/endpoints/{addedId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await EndpointApi.PostEventAsync(api, "evt_dir_3", "user_dir");
        await Eventually.UntilAsync(() => Task.FromResult(witness.Delivered().Any(d => d.EventId == "evt_dir_3")), TimeSpan.FromSeconds(30), "the third event is routed");
        Assert.Equal([changedId, addedId], await EndpointsNotRoutedAsync(api, "evt_dir_3", changedId, addedId));
        Assert.DoesNotContain(added.Delivered(), d => d.EventId == "evt_dir_3");
    }

    /// <summary>Those of <paramref name="endpointIds"/> the event has no delivery to (its deliveries are written with it, all at once).</summary>
    private static async Task<List<string>> EndpointsNotRoutedAsync(HttpClient api, string eventId, params string[] endpointIds)
    {
        var status = await api.GetFromJsonAsync<JsonElement>($"/v1/events/{eventId}");
        var routed = status.GetProperty("deliveries").EnumerateArray().Select(d => d.GetProperty("endpoint_id").GetString()).ToHashSet();
        return endpointIds.Where(id => !routed.Contains(id)).ToList();
    }

    [Fact]
    public async Task A_new_url_and_custom_headers_apply_to_deliveries_not_yet_attempted()
    {
        using var api = fixture.Server.CreateClient();
        await using var before = await TestReceiver.StartAsync();
        await using var after = await TestReceiver.StartAsync();
        var id = (await EndpointApi.CreateAsync(api, new { url = before.Url, event_types = new[] { "reward.redeemed" } })).GetProperty("id").GetString()!;
        await EndpointApi.PatchAsync(api, id, $$"""{"url":"{{after.Url}}","headers":{"X-Tenant":"t1"},"enabled":false}""");
        await EndpointApi.PostEventAsync(api, "evt_moved", "user_moved");
        await Eventually.UntilAsync(async () =>
            (await api.GetFromJsonAsync<JsonElement>("/v1/events/evt_moved")).GetProperty("deliveries").EnumerateArray()
                .Any(d => d.GetProperty("endpoint_id").GetString() == id),
            TimeSpan.FromSeconds(30), "the event is routed while the endpoint is off");

        await EndpointApi.PatchAsync(api, id, """{"enabled":true}""");
        var got = await Eventually.UntilAsync(() => Task.FromResult(after.Delivered().FirstOrDefault()), TimeSpan.FromSeconds(30), "the new url gets it");
        Assert.Equal("evt_moved", got.EventId);
        Assert.Equal("t1", got.Headers["x-tenant"]);
        Assert.Empty(before.Requests);
    }

    [Fact]
    public async Task Stats_count_attempts_successes_latency_backlog_and_dead_letters_in_the_window()
    {
        using var api = fixture.Server.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        var failures = 0;
        receiver.Respond = _ => Interlocked.Increment(ref failures) <= 2 ? 500 : null;
        var id = (await EndpointApi.CreateAsync(api, new { url = receiver.Url, event_types = new[] { "reward.redeemed" }, retry_schedule = "200ms,200ms,200ms", ordering = "none" }))
            .GetProperty("id").GetString()!;
        await EndpointApi.PostEventAsync(api, "evt_stats_1", "user_stats_1");
        await EndpointApi.PostEventAsync(api, "evt_stats_2", "user_stats_2");
        // Delivered on record, not only received: a delivery is still in flight for a moment after its POST.
        await Eventually.UntilAsync(async () =>
            (await api.GetFromJsonAsync<JsonElement>($"/v1/deliveries?endpoint_id={id}&status=delivered")).GetProperty("items").GetArrayLength() == 2,
            TimeSpan.FromSeconds(30), "both are delivered");

        var stats = await Eventually.UntilValueAsync(async () =>
        {
            var s = await api.GetFromJsonAsync<JsonElement>($"/v1/endpoints/{id}/stats?window=5m");
            return s.GetProperty("attempts").GetInt32() == 4 ? (JsonElement?)s : null;
        }, TimeSpan.FromSeconds(30), "four attempts are on record");
        Assert.Equal(2, stats.GetProperty("succeeded").GetInt32());
        Assert.Equal(2, stats.GetProperty("failed").GetInt32());
        Assert.Equal(0.5, stats.GetProperty("success_rate").GetDouble());
        // The percentiles to their latency bucket: the longest attempt of the bucket the exact percentile falls in.
        var durations = new List<int>();
        foreach (var delivery in (await api.GetFromJsonAsync<JsonElement>($"/v1/deliveries?endpoint_id={id}")).GetProperty("items").EnumerateArray())
        {
            var attempts = await api.GetFromJsonAsync<JsonElement>($"/v1/deliveries/{delivery.GetProperty("id").GetString()}/attempts");
            durations.AddRange(attempts.EnumerateArray().Select(a => a.GetProperty("duration_ms").GetInt32()));
        }

        Assert.Equal(4, durations.Count);
        durations.Sort();
        foreach (var (name, exact) in new[] { ("latency_p50_ms", durations[1]), ("latency_p95_ms", durations[3]) })
        {
            var bucket = RewardEvents.Persistence.LatencyBuckets.Of(exact);
            Assert.Equal(durations.Where(d => RewardEvents.Persistence.LatencyBuckets.Of(d) == bucket).Max(), stats.GetProperty(name).GetInt32());
        }

        Assert.Equal(0, stats.GetProperty("waiting").GetInt32());
        Assert.Equal(0, stats.GetProperty("dead_lettered").GetInt32());
        Assert.Equal("closed", stats.GetProperty("circuit").GetString());

        var errors = await EndpointApi.ProblemErrorsAsync(await api.GetAsync($"/v1/endpoints/{id}/stats?window=30d"));
        Assert.Equal(["window"], errors.Keys);
        using var missing = await api.GetAsync("/v1/endpoints/ep_missing/stats");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_rate_limit_of_two_per_second_spreads_ten_deliveries_over_at_least_four_seconds()
    {
        using var api = fixture.Server.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        var endpointId = (await EndpointApi.CreateAsync(api, new { url = receiver.Url, event_types = new[] { "reward.redeemed" }, ordering = "none", rate_limit = 2 }))
            .GetProperty("id").GetString();
        for (var i = 0; i < 10; i++)
        {
            await EndpointApi.PostEventAsync(api, $"evt_rate_{i}", $"user_rate_{i}");
        }

        await Eventually.UntilAsync(() => Task.FromResult(receiver.Delivered().Count == 10), TimeSpan.FromSeconds(60), "all ten arrive");
        var times = receiver.Requests.Select(r => r.At).Order().ToList();
        Assert.Equal(10, times.Count); // none failed: over-limit deliveries wait, they are not attempted
        Assert.True((times[^1] - times[0]).TotalSeconds >= 4.0, $"spread over {(times[^1] - times[0]).TotalSeconds:F2} s");
        // Only this endpoint's deliveries: endpoints other tests of the class left behind take reward.redeemed too.
        var page = await api.GetFromJsonAsync<JsonElement>($"/v1/deliveries?endpoint_id={endpointId}&limit=500");
        var deliveries = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(10, deliveries.Count);
        Assert.All(deliveries, d => Assert.Equal(1, d.GetProperty("attempts").GetInt32()));
    }
}
