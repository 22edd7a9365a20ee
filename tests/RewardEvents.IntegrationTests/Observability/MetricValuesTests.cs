using System.Net.Http.Json;
using System.Text.Json;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Observability;

/// <summary>The delivery metrics count what happened: a known scenario, its figures read back from <c>/metrics</c>.</summary>
public sealed class MetricValuesTests(PrometheusServerFixture fixture) : IClassFixture<PrometheusServerFixture>
{
    private const int Events = 3;

    [Fact]
    public async Task Attempts_deliveries_and_dead_letters_are_counted_per_endpoint_and_outcome()
    {
        using var api = fixture.Server.CreateClient();

        // Flaky: the very first request fails, every later one succeeds. Broken: never succeeds, one retry.
        await using var flaky = await TestReceiver.StartAsync();
        var first = 1;
        flaky.Respond = _ => Interlocked.Exchange(ref first, 0) == 1 ? 500 : null;
        await using var broken = await TestReceiver.StartAsync();
        broken.Respond = _ => 500;
        var flakyId = await CreateAsync(api, flaky.Url, "1s");
        var brokenId = await CreateAsync(api, broken.Url, "100ms");

        for (var i = 0; i < Events; i++)
        {
            await Reliability.RetryScheduleTests.PostEventAsync(api, $"evt_counted_{i}", $"user_counted_{i}");
        }

        await Eventually.PassesAsync(async () =>
        {
            var scrape = PrometheusScrape.Parse(await api.GetStringAsync("/metrics"));
            double Sum(string name, params (string Key, string Value)[] labels) => scrape.Sum(name, labels);

            // Flaky: 3 delivered after 4 attempts (one failure, then three successes).
            Assert.Equal(Events, Sum("rewardevents_deliveries_delivered_total", ("endpoint_id", flakyId)));
            Assert.Equal(Events, Sum("rewardevents_deliveries_attempts_total", ("endpoint_id", flakyId), ("outcome", "success")));
            Assert.Equal(1, Sum("rewardevents_deliveries_attempts_total", ("endpoint_id", flakyId), ("outcome", "failure")));
            Assert.Equal(0, Sum("rewardevents_deliveries_dead_lettered_total", ("endpoint_id", flakyId)));

            // Broken: 2 attempts each (the first and one retry), then dead-lettered. After 5 failures in a row
            // its circuit opens, so the last attempt may be short-circuited instead of sent.
            Assert.Equal(Events, Sum("rewardevents_deliveries_dead_lettered_total", ("endpoint_id", brokenId)));
            var failures = Sum("rewardevents_deliveries_attempts_total", ("endpoint_id", brokenId), ("outcome", "failure"));
            Assert.Equal(2 * Events, failures + Sum("rewardevents_deliveries_attempts_total", ("endpoint_id", brokenId), ("outcome", "short_circuit")));
            Assert.Equal(broken.Requests.Count, failures);
            Assert.Equal(0, Sum("rewardevents_deliveries_delivered_total", ("endpoint_id", brokenId)));

            // One attempt-duration observation per attempt; one latency observation per delivered delivery.
            Assert.Equal(Events + 1, Sum("rewardevents_attempt_duration_milliseconds_count", ("endpoint_id", flakyId)));
            Assert.Equal(2 * Events, Sum("rewardevents_attempt_duration_milliseconds_count", ("endpoint_id", brokenId)));
            // A non-empty latency histogram, and nothing left waiting.
            Assert.True(Sum("rewardevents_delivery_latency_milliseconds_count") >= Events, "publish-to-delivered latency is recorded");
            Assert.Equal(0, Sum("rewardevents_deliveries_waiting", ("endpoint_id", flakyId)));
            Assert.Equal(0, Sum("rewardevents_deliveries_waiting", ("endpoint_id", brokenId)));
        }, TimeSpan.FromSeconds(30), "the counters reach the scenario's figures");

        // And the receiver agrees with the counters.
        Assert.Equal(Events + 1, flaky.Requests.Count);
    }

    private static async Task<string> CreateAsync(HttpClient api, string url, string schedule)
    {
        using var created = await api.PostAsJsonAsync("/v1/endpoints", new { url, event_types = new[] { "reward.redeemed" }, retry_schedule = schedule });
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }
}
