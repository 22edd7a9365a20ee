using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace RewardEvents.IntegrationTests.Endpoints;

/// <summary>The endpoint-management calls these tests make, with their expected statuses.</summary>
internal static class EndpointApi
{
    public static async Task<JsonElement> CreateAsync(HttpClient api, object body)
    {
        using var response = await api.PostAsJsonAsync("/v1/endpoints", body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, json.ToString());
        return json;
    }

    public static async Task<JsonElement> PatchAsync(HttpClient api, string id, string body)
    {
        using var response = await api.PatchAsync($"/v1/endpoints/{id}", Json(body));
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToString());
        return json;
    }

    public static async Task<Dictionary<string, string[]>> ProblemErrorsAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            return problem.GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
        }
    }

    public static async Task PostEventAsync(HttpClient api, string eventId, string userId, decimal amount = 10, string currency = "INR")
    {
        using var response = await api.PostAsJsonAsync("/v1/events", new Dictionary<string, object>
        {
            ["event"] = "reward.redeemed", ["event_id"] = eventId, ["user_id"] = userId, ["reward_id"] = "reward_1",
            ["amount"] = amount, ["currency"] = currency, ["status"] = "success", ["timestamp"] = "2026-05-05T10:00:00Z",
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    public static async Task<JsonElement> SendTestAsync(HttpClient api, string id, string eventType = "reward.redeemed")
    {
        using var response = await api.PostAsJsonAsync($"/v1/endpoints/{id}/test", new { event_type = eventType });
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, json.ToString());
        return json;
    }

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
