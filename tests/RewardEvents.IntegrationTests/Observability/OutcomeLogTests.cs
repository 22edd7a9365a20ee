using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using RewardEvents.IntegrationTests.Api;
using RewardEvents.IntegrationTests.Reliability;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Observability;

/// <summary>The embedded server, with what the worker logs about outcomes captured.</summary>
public sealed class OutcomeLogServerFixture : EmbeddedServerFixture
{
    internal const string Category = "RewardEvents.Fleet.Workers.DeliveryProcessor";

    internal CapturingLoggerProvider Captured { get; } = new(Category);

    protected override void ConfigureLogging(ILoggingBuilder logging) =>
        logging.AddProvider(Captured).AddFilter<CapturingLoggerProvider>(Category, LogLevel.Debug);
}

/// <summary>
/// What the worker logs per final outcome, on the embedded server with real receivers: a dead letter is a
/// warning, a delivery that needed retries is information, a first-attempt success only a debug line.
/// </summary>
public sealed class OutcomeLogTests(OutcomeLogServerFixture fixture) : IClassFixture<OutcomeLogServerFixture>
{
    [Fact]
    public async Task Only_retried_and_dead_lettered_deliveries_log_above_debug()
    {
        using var api = fixture.Server.CreateClient();
        await using var healthy = await TestReceiver.StartAsync();
        await using var flaky = await TestReceiver.StartAsync();
        await using var broken = await TestReceiver.StartAsync();
        var failedOnce = 0;
        flaky.Respond = _ => Interlocked.Exchange(ref failedOnce, 1) == 0 ? 500 : null;
        broken.Respond = _ => 500;
        var healthyId = await RetryScheduleTests.CreateEndpointAsync(api, healthy.Url, ["reward.redeemed"]);
        var flakyId = await RetryScheduleTests.CreateEndpointAsync(api, flaky.Url, ["reward.redeemed"]);
        using (var created = await api.PostAsJsonAsync("/v1/endpoints", new { url = broken.Url, retry_schedule = "100ms" }))
        {
            created.EnsureSuccessStatusCode();
        }

        await RetryScheduleTests.PostEventAsync(api, "evt_outcome_log", "user_outcome_log");
        static bool Logged(CapturedLine[] lines, string text) => lines.Any(l => l.Message.Contains(text, StringComparison.Ordinal));
        var lines = await Eventually.UntilAsync(
            () =>
            {
                var now = fixture.Captured.Lines.ToArray();
                return Task.FromResult(Logged(now, healthyId) && Logged(now, flakyId) && Logged(now, "dead-lettered") ? now : null);
            },
            TimeSpan.FromSeconds(30),
            "the three final outcomes are logged");

        Assert.Equal(LogLevel.Debug, Assert.Single(lines, l => l.Message.Contains(healthyId, StringComparison.Ordinal)).Level);
        var retried = Assert.Single(lines, l => l.Message.Contains(flakyId, StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, retried.Level);
        Assert.Contains("after 2 attempts", retried.Message, StringComparison.Ordinal);
        // (The dead letter raises an operational event, which the broken endpoint dead-letters in turn.)
        Assert.Single(lines, l => l.Level == LogLevel.Warning && l.Message.Contains("event evt_outcome_log", StringComparison.Ordinal)
            && l.Message.Contains("dead-lettered", StringComparison.Ordinal));
    }
}
