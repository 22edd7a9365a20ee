using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RewardEvents.Fleet;
using RewardEvents.Fleet.Api;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Api;

/// <summary>Scoped, hashed API keys on PostgreSQL; rate limits; https-only endpoints; the OpenAPI document.</summary>
public sealed partial class ApiSecurityTests(PostgresServer postgres) : IAsyncLifetime
{
    private const string ConfiguredProducerKey = "cfg-producer-key-51d2";

    private string _database = "";
    private FleetHost _api = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await postgres.CreateDatabaseAsync("security");
        _api = await FleetHost.StartAsync(FleetRoles.Api, Settings(new Dictionary<string, string?>
        {
            ["Security:ApiKeys:1"] = ConfiguredProducerKey + "|events:write",
            ["Delivery:RequireHttps"] = "true",
        }));
    }

    public async ValueTask DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task A_producer_key_can_post_events_but_gets_403_naming_the_scope_on_endpoints_and_keys()
    {
        using var admin = _api.CreateClient();
        var producerKey = await CreateKeyAsync(admin, "checkout", "events:write");

        foreach (var key in new[] { producerKey, ConfiguredProducerKey })
        {
            using var producer = Client(key);
            using (var accepted = await producer.PostAsync("/v1/events", Json(
                """{"event":"reward.redeemed","event_id":"evt_scoped","user_id":"u1","reward_id":"r1","amount":5,"currency":"INR","status":"success","timestamp":"2026-05-05T10:00:00Z"}""")))
            {
                Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            }

            await AssertProblemAsync(await producer.PostAsync("/v1/endpoints", Json("""{"url":"https://127.0.0.1:9/x"}""")), HttpStatusCode.Forbidden, "'endpoints:write'");
            await AssertProblemAsync(await producer.GetAsync("/v1/endpoints/ep_x"), HttpStatusCode.Forbidden, "'endpoints:read'");
            await AssertProblemAsync(await producer.GetAsync("/v1/deliveries"), HttpStatusCode.Forbidden, "'deliveries:read'");
            await AssertProblemAsync(await producer.GetAsync("/v1/api-keys"), HttpStatusCode.Forbidden, "'admin'");
        }
    }

    [Fact]
    public async Task An_admin_creates_and_revokes_keys_the_stored_value_is_a_hash_and_a_revoked_key_gets_401()
    {
        using var admin = _api.CreateClient();
        var key = await CreateKeyAsync(admin, "crm reader", "endpoints:read");
        Assert.StartsWith("rk_", key, StringComparison.Ordinal);

        var listed = (await admin.GetFromJsonAsync<JsonElement[]>("/v1/api-keys"))!.Single(k => k.GetProperty("name").GetString() == "crm reader");
        var id = listed.GetProperty("id").GetString()!;
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("key").ValueKind);
        Assert.Equal(["endpoints:read"], listed.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));

        await using (var db = FleetDatabase.OpenPostgres(_database))
        {
            var stored = await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == id);
            Assert.NotEqual(key, stored.Hash);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))), stored.Hash);
            Assert.DoesNotContain(key, JsonSerializer.Serialize(stored), StringComparison.Ordinal);
            Assert.Null(stored.LastUsedAt);
        }

        using var reader = Client(key);
        await AssertProblemAsync(await reader.GetAsync("/v1/endpoints/ep_missing"), HttpStatusCode.NotFound, "ep_missing");
        await using (var db = FleetDatabase.OpenPostgres(_database))
        {
            Assert.NotNull((await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == id)).LastUsedAt);
        }

        using (var revoked = await admin.DeleteAsync($"/v1/api-keys/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }

        await AssertProblemAsync(await reader.GetAsync("/v1/endpoints/ep_missing"), HttpStatusCode.Unauthorized, "revoked");
        var after = (await admin.GetFromJsonAsync<JsonElement[]>("/v1/api-keys"))!.Single(k => k.GetProperty("id").GetString() == id);
        Assert.NotEqual(JsonValueKind.Null, after.GetProperty("revoked_at").ValueKind);
        await AssertProblemAsync(await admin.DeleteAsync("/v1/api-keys/key_missing"), HttpStatusCode.NotFound, "key_missing");
    }

    [Fact]
    public async Task A_missing_or_unknown_key_gets_401_and_a_bad_key_request_gets_400()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(_api.BaseUrl) };
        await AssertProblemAsync(await anonymous.GetAsync("/v1/api-keys"), HttpStatusCode.Unauthorized, "Authorization: Bearer");
        using var unknown = Client("rk_" + new string('0', 64));
        await AssertProblemAsync(await unknown.GetAsync("/v1/api-keys"), HttpStatusCode.Unauthorized, "not valid");

        using var admin = _api.CreateClient();
        using var bad = await admin.PostAsync("/v1/api-keys", Json("""{"name":"","scopes":["events:write","root"]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("name", out _));
        Assert.Contains("root", errors.GetProperty("scopes")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_require_https_an_http_endpoint_is_refused_with_400_and_an_https_one_is_saved()
    {
        using var admin = _api.CreateClient();
        using (var refused = await admin.PostAsync("/v1/endpoints", Json("""{"url":"http://127.0.0.1:9/hook"}""")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("https", problem.GetProperty("errors").GetProperty("url")[0].GetString(), StringComparison.Ordinal);
        }

        using var saved = await admin.PostAsync("/v1/endpoints", Json("""{"url":"https://127.0.0.1:9/hook"}"""));
        Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
    }

    [Fact]
    public async Task A_key_over_its_rate_limit_gets_429_with_retry_after_while_another_key_is_unaffected()
    {
        const string otherKey = "second-key-09b7";
        await using var limited = await FleetHost.StartAsync(FleetRoles.Api, Settings(new Dictionary<string, string?>
        {
            ["Security:ApiKeys:1"] = otherKey,
            ["Security:RateLimit:PermitsPerSecond"] = "1",
            ["Security:RateLimit:Burst"] = "3",
        }));
        using var busy = limited.CreateClient();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 50 && refused is null; i++)
        {
            var response = await busy.GetAsync("/v1/events/evt_none");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
            }
            else
            {
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                response.Dispose();
            }
        }

        Assert.NotNull(refused);
        using (refused)
        {
            Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {refused.Headers.RetryAfter}");
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal(429, (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32());
        }

        using var other = Client(otherKey, limited.BaseUrl);
        using var unaffected = await other.GetAsync("/v1/events/evt_none");
        Assert.Equal(HttpStatusCode.NotFound, unaffected.StatusCode);
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_every_v1_route_and_the_Scalar_page_answers_anonymously()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(_api.BaseUrl) };
        var document = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {p.Name}"))
            .ToHashSet(StringComparer.Ordinal);
        var routes = V1Routes().Select(r => $"{r.Method} {Constraint().Replace(r.Pattern, "}")}").ToList();
        Assert.NotEmpty(routes);
        Assert.All(routes, r => Assert.Contains(r, documented));

        var createKey = document.GetProperty("paths").GetProperty("/v1/api-keys").GetProperty("post");
        Assert.Contains("admin", createKey.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.True(createKey.GetProperty("responses").TryGetProperty("403", out _));
        Assert.True(createKey.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").TryGetProperty("example", out _));

        // Each listing documents its paging, and that a bad cursor is a 400 problem.
        foreach (var listing in new[] { "/v1/deliveries", "/v1/endpoints", "/v1/events" })
        {
            var get = document.GetProperty("paths").GetProperty(listing).GetProperty("get");
            var parameters = get.GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, StringComparer.Ordinal);
            Assert.All(new[] { "cursor", "offset", "limit" }, name =>
                Assert.False(string.IsNullOrWhiteSpace(parameters[name].GetProperty("description").GetString()), $"{listing} {name}"));
            Assert.Contains("next_cursor", parameters["cursor"].GetProperty("description").GetString(), StringComparison.Ordinal);
            Assert.True(get.GetProperty("responses").TryGetProperty("400", out _), listing);
        }

        using var scalar = await anonymous.GetAsync("/scalar");
        Assert.Equal(HttpStatusCode.OK, scalar.StatusCode);
        Assert.Equal("text/html", scalar.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public void Every_v1_route_declares_the_scope_it_needs()
    {
        var unscoped = _api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/v1/", StringComparison.Ordinal) == true && e.Metadata.GetMetadata<RequiredScope>() is null)
            .Select(e => e.DisplayName).ToList();
        Assert.Empty(unscoped); // an unscoped route would need 'admin': declare what it really needs
    }

    private IEnumerable<(string Method, string Pattern)> V1Routes() =>
        _api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/v1/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m, e.RoutePattern.RawText!)));

    private Dictionary<string, string?> Settings(Dictionary<string, string?> extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Transport:Kind"] = "InMemory",
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:RewardEvents"] = _database,
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    private HttpClient Client(string key, string? baseUrl = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(baseUrl ?? _api.BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static async Task<string> CreateKeyAsync(HttpClient admin, string name, params string[] scopes)
    {
        using var created = await admin.PostAsJsonAsync("/v1/api-keys", new { name, scopes });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(scopes, body.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        return body.GetProperty("key").GetString()!;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        using (response)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(":[^}]+}")]
    private static partial Regex Constraint();
}
