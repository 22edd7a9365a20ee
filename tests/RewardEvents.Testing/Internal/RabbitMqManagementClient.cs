using System.Net.Http.Headers;
using System.Text;

namespace RewardEvents.Testing.Internal;

/// <summary>
/// The few calls of the RabbitMQ management HTTP API the fixture needs. The HTTP API works the
/// same against a local node, a container and a shared broker, where rabbitmqctl would need the
/// node's Erlang cookie.
/// </summary>
internal sealed class RabbitMqManagementClient : IDisposable
{
    private readonly HttpClient _http;

    public RabbitMqManagementClient(Uri baseAddress, string username, string password)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
    }

    public async Task<bool> AnswersAsync()
    {
        using var response = await _http.GetAsync(new Uri("api/overview", UriKind.Relative));
        return response.IsSuccessStatusCode;
    }

    public async Task CreateVirtualHostAsync(string name, string username)
    {
        var vhost = Uri.EscapeDataString(name);
        await SendAsync(HttpMethod.Put, $"api/vhosts/{vhost}", "{}");
        await SendAsync(
            HttpMethod.Put,
            $"api/permissions/{vhost}/{Uri.EscapeDataString(username)}",
            """{"configure":".*","write":".*","read":".*"}""");
    }

    /// <summary>Every consumer in the virtual host: the queue it consumes and its prefetch count.</summary>
    public async Task<IReadOnlyList<(string Queue, int Prefetch)>> ConsumersAsync(string name)
    {
        using var response = await _http.GetAsync(new Uri($"api/consumers/{Uri.EscapeDataString(name)}", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. json.RootElement.EnumerateArray().Select(c =>
            (c.GetProperty("queue").GetProperty("name").GetString() ?? "", c.GetProperty("prefetch_count").GetInt32()))];
    }

    public Task DeleteVirtualHostAsync(string name) =>
        SendAsync(HttpMethod.Delete, $"api/vhosts/{Uri.EscapeDataString(name)}", null);

    private async Task SendAsync(HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await _http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new InvalidOperationException(
                $"RabbitMQ management API {method} {path} answered {(int)response.StatusCode}: {body}");
        }
    }

    public void Dispose() => _http.Dispose();
}
