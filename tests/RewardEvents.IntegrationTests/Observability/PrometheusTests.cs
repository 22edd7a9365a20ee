using System.Net.Http.Json;
using System.Text.RegularExpressions;
using RewardEvents.IntegrationTests.Api;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Observability;

public sealed class PrometheusServerFixture : EmbeddedServerFixture
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Telemetry:Prometheus"] = "true" };
}

/// <summary>The scrape endpoint serves every series the shipped Grafana dashboard queries.</summary>
public sealed partial class PrometheusTests(PrometheusServerFixture fixture) : IClassFixture<PrometheusServerFixture>
{
    [Fact]
    public async Task Metrics_endpoint_serves_every_series_the_dashboard_uses()
    {
        using var api = fixture.Server.CreateClient();
        await using var receiver = await TestReceiver.StartAsync();
        var first = true;
        receiver.Respond = _ =>
        {
            var fail = first;
            first = false;
            return fail ? 500 : null;
        };
        await Reliability.RetryScheduleTests.CreateEndpointAsync(api, receiver.Url, []);
        // A second endpoint that never answers 2xx, with a one-retry schedule, so a dead letter is counted too.
        await using var broken = await TestReceiver.StartAsync();
        broken.Respond = _ => 500;
        using (var created = await api.PostAsJsonAsync("/v1/endpoints", new { url = broken.Url, retry_schedule = "100ms" }))
        {
            created.EnsureSuccessStatusCode();
        }

        await Reliability.RetryScheduleTests.PostEventAsync(api, "evt_metrics", "user_metrics");
        await Eventually.UntilAsync(() => Task.FromResult(receiver.Delivered().Count >= 1 && broken.Requests.Count >= 2), TimeSpan.FromSeconds(30), "one delivery arrives, the other dead-letters");

        var dashboard = await File.ReadAllTextAsync(Path.Combine(FleetProcess.RepoRoot(), "deploy", "grafana", "rewardevents-dashboard.json"));
        var wanted = MetricName().Matches(dashboard).Select(m => Regex.Replace(m.Value, "_(bucket|sum|count)$", "")).Distinct().ToList();
        Assert.NotEmpty(wanted);

        await Eventually.PassesAsync(async () =>
        {
            var scrape = await api.GetStringAsync("/metrics");
            foreach (var name in wanted)
            {
                Assert.Contains(name, scrape, StringComparison.Ordinal);
            }

            // No per-user or per-event labels.
            Assert.DoesNotContain("user_metrics", scrape, StringComparison.Ordinal);
            Assert.DoesNotContain("evt_metrics", scrape, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30), "every dashboard series is exported");
    }

    [GeneratedRegex("rewardevents_[a-z_]+")]
    private static partial Regex MetricName();
}
