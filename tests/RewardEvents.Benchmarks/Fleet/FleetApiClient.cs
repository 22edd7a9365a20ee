using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace RewardEvents.Benchmarks.Fleet;

/// <summary>The part of the public API the benchmark needs: registering endpoints.</summary>
public sealed class FleetApiClient(string baseUrl, string apiKey) : IDisposable
{
    private readonly HttpClient _client = new() { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(15), DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", apiKey) } };

    /// <returns>The endpoint's id and its signing secret (shown only in this answer).</returns>
    public async Task<(string Id, string Secret)> CreateEndpointAsync(Uri url, string ordering)
    {
        using var response = await _client.PostAsJsonAsync(new Uri("/v1/endpoints", UriKind.Relative),
            new Dictionary<string, object> { ["url"] = url.ToString(), ["event_types"] = new[] { "reward.redeemed" }, ["ordering"] = ordering });
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /v1/endpoints answered {(int)response.StatusCode}: {text}");
        }

        using var json = JsonDocument.Parse(text);
        return (json.RootElement.GetProperty("id").ToString(), json.RootElement.GetProperty("secret").GetString()!);
    }

    public void Dispose() => _client.Dispose();
}
