using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace RewardEvents.IntegrationTests.Api;

/// <summary>Bad input gets the right status and a problem detail naming what is wrong.</summary>
public sealed class ApiFailureTests(EmbeddedServerFixture fixture) : IClassFixture<EmbeddedServerFixture>
{
    private const string ValidEvent =
        """{"event":"reward.redeemed","event_id":"evt_12345","user_id":"user_678","reward_id":"reward_999","amount":500,"currency":"INR","status":"success","timestamp":"2026-05-05T10:00:00Z"}""";

    [Fact]
    public async Task A_valid_event_is_accepted_with_202_and_its_id()
    {
        using var api = fixture.Server.CreateClient();
        using var response = await api.PostAsync("/v1/events", Json(ValidEvent));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("evt_12345", body.GetProperty("event_id").GetString());
    }

    [Fact]
    public async Task Missing_fields_are_each_named_in_a_400_problem()
    {
        using var api = fixture.Server.CreateClient();
        var errors = await ProblemErrorsAsync(await api.PostAsync("/v1/events", Json("""{"event":"reward.redeemed"}""")), HttpStatusCode.BadRequest);
        Assert.Equal(["amount", "currency", "event_id", "reward_id", "status", "timestamp", "user_id"], errors.Keys.Order());
    }

    [Theory]
    [InlineData("amount", "\"500\"", "Must be a number")]
    [InlineData("amount", "-1", "negative")]
    [InlineData("user_id", "42", "Must be a string")]
    [InlineData("timestamp", "\"yesterday\"", "ISO 8601")]
    [InlineData("currency", "\"rupees\"", "ISO 4217")]
    [InlineData("event", "\"reward.exploded\"", "Unknown event type")]
    [InlineData("metadata", "[1]", "object of string values")]
    public async Task A_bad_field_gets_a_400_that_names_it(string field, string value, string message)
    {
        using var api = fixture.Server.CreateClient();
        var body = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(ValidEvent)!;
        body[field] = JsonDocument.Parse(value).RootElement;
        var errors = await ProblemErrorsAsync(await api.PostAsJsonAsync("/v1/events", body), HttpStatusCode.BadRequest);
        Assert.Equal([field], errors.Keys);
        Assert.Contains(message, errors[field][0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_is_not_json_gets_a_400_problem()
    {
        using var api = fixture.Server.CreateClient();
        using var response = await api.PostAsync("/v1/events", Json("{not json"));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "not valid JSON");
    }

    [Fact]
    public async Task A_body_over_256_KiB_gets_413()
    {
        using var api = fixture.Server.CreateClient();
        var padding = new string('x', 257 * 1024);
        using var response = await api.PostAsync("/v1/events", Json(ValidEvent.Replace("\"success\"", $"\"{padding}\"", StringComparison.Ordinal)));
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "256 KiB");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-key")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task A_missing_or_wrong_key_gets_401(string? authorization)
    {
        using var api = new HttpClient { BaseAddress = new Uri(fixture.Server.BaseUrl) };
        if (authorization is not null)
        {
            api.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await api.PostAsync("/v1/events", Json(ValidEvent));
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "API key");
        using var get = await api.GetAsync("/v1/endpoints/ep_x");
        Assert.Equal(HttpStatusCode.Unauthorized, get.StatusCode);
    }

    [Theory]
    [InlineData("""{"url":"ftp://example.com/x"}""", "url")]
    [InlineData("""{"url":"/relative"}""", "url")]
    [InlineData("""{"event_types":["reward.redeemed"]}""", "url")]
    [InlineData("""{"url":"https://example.com/x","event_types":["reward.nope"]}""", "event_types")]
    [InlineData("""{"url":"https://example.com/x","ordering":"sometimes"}""", "ordering")]
    [InlineData("""{"url":"https://example.com/x","retry_schedule":"5 parsecs"}""", "retry_schedule")]
    public async Task A_bad_endpoint_gets_a_400_that_names_the_field(string body, string field)
    {
        using var api = fixture.Server.CreateClient();
        var errors = await ProblemErrorsAsync(await api.PostAsync("/v1/endpoints", Json(body)), HttpStatusCode.BadRequest);
        Assert.Contains(field, errors.Keys);
    }

    [Fact]
    public async Task Unknown_event_and_endpoint_get_404_problems()
    {
        using var api = fixture.Server.CreateClient();
        await AssertProblemAsync(await api.GetAsync("/v1/events/evt_never_sent"), HttpStatusCode.NotFound, "evt_never_sent");
        await AssertProblemAsync(await api.GetAsync("/v1/endpoints/ep_missing"), HttpStatusCode.NotFound, "ep_missing");
        await AssertProblemAsync(await api.DeleteAsync("/v1/endpoints/ep_missing"), HttpStatusCode.NotFound, "ep_missing");
    }

    [Fact]
    public async Task An_endpoint_can_be_created_read_and_deleted_and_its_secret_is_shown_once()
    {
        using var api = fixture.Server.CreateClient();
        using var created = await api.PostAsync("/v1/endpoints", Json("""{"url":"http://127.0.0.1:9/x","event_types":[],"ordering":"none"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var endpoint = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = endpoint.GetProperty("id").GetString()!;
        Assert.StartsWith("whsec_", endpoint.GetProperty("secret").GetString(), StringComparison.Ordinal);
        Assert.Equal("none", endpoint.GetProperty("ordering").GetString());

        var read = await api.GetFromJsonAsync<JsonElement>($"/v1/endpoints/{id}");
        Assert.Equal(JsonValueKind.Null, read.GetProperty("secret").ValueKind);
        using var deleted = await api.DeleteAsync($"/v1/endpoints/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await api.GetAsync($"/v1/endpoints/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        using (response)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
            Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    private static async Task<Dictionary<string, string[]>> ProblemErrorsAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            return problem.GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
        }
    }
}
