using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace RewardEvents.IntegrationTests.Api;

/// <summary>A server where private networks are not allowed, as in production.</summary>
public sealed class ProductionLikeServerFixture : EmbeddedServerFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Delivery:AllowPrivateNetworks"] = "false" };
}

public sealed class PrivateNetworkTests(ProductionLikeServerFixture fixture) : IClassFixture<ProductionLikeServerFixture>
{
    [Theory]
    [InlineData("http://127.0.0.1:8080/hook")]
    [InlineData("http://localhost/hook")]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("http://192.168.0.10/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://[fd00::1]/hook")]
    public async Task An_endpoint_inside_a_private_network_is_refused_with_400(string url)
    {
        using var api = fixture.Server.CreateClient();
        using var response = await api.PostAsJsonAsync("/v1/endpoints", new { url });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("public internet", problem.GetProperty("errors").GetProperty("url")[0].GetString(), StringComparison.Ordinal);
    }
}
