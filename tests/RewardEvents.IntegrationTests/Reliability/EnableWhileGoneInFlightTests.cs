using MassTransit;
using RewardEvents.Contracts;
using RewardEvents.Fleet;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Reliability;

/// <summary>
/// An endpoint enabled again in the moment after its 410 disabled it, while the delivery that got the 410 is still
/// in flight. Enabling releases what waits for the endpoint, but the release skips deliveries in flight; that one
/// then parks itself for an hour. Seen once in CI, in the 410 scenario, where the test enables right after it sees
/// the endpoint disabled.
/// </summary>
public sealed class EnableWhileGoneInFlightTests
{
    [Fact]
    public async Task A_delivery_that_got_the_410_goes_out_at_once_when_the_endpoint_is_enabled_before_it_parked()
    {
        await using var owned = new OwnedResources();
        var directory = owned.TempDirectory("rewardevents-enable-gone-");
        owned.OnDispose(() =>
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            return Task.CompletedTask;
        });
        var announcement = new HeldAnnouncement();
        var server = owned.Own(await FleetHost.StartAsync(
            FleetRoles.All,
            new Dictionary<string, string?>
            {
                ["Transport:Kind"] = "InMemory",
                ["Database:Provider"] = "Sqlite",
                ["ConnectionStrings:RewardEvents"] = $"Data Source={Path.Combine(directory, "fleet.db")}",
            },
            services: services => services.AddPublishObserver(_ => announcement)));
        using var api = server.CreateClient();
        var receiver = owned.Own(await TestReceiver.StartAsync());
        receiver.Respond = _ => 410;
        var endpointId = await RetryScheduleTests.CreateEndpointAsync(api, receiver.Url, ["reward.redeemed"]);

        await RetryScheduleTests.PostEventAsync(api, "evt_gone_in_flight", "user_gone_in_flight");

        // The worker has disabled the endpoint and is announcing it; the delivery is still in flight.
        await announcement.Reached.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        receiver.Respond = _ => null;
        using (var enabled = await api.PostAsync($"/v1/endpoints/{endpointId}/enable", null, TestContext.Current.CancellationToken))
        {
            enabled.EnsureSuccessStatusCode();
        }

        announcement.Let();

        // Without a second look after it parked, it would wait the hour it parks for.
        var delivered = await Eventually.UntilAsync(
            () => Task.FromResult(receiver.Delivered().FirstOrDefault()), TimeSpan.FromSeconds(20), "the delivery goes out once the endpoint is enabled");
        Assert.Equal("evt_gone_in_flight", delivered.EventId);
        Assert.Equal(2, receiver.Requests.Count); // the 410, then the delivery
    }

    /// <summary>Holds the worker's <c>endpoint.disabled</c> announcement until the test lets it go.</summary>
    private sealed class HeldAnnouncement : IPublishObserver
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _let = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Reached => _reached.Task;

        public void Let() => _let.TrySetResult();

        public async Task PrePublish<T>(PublishContext<T> context)
            where T : class
        {
            if (context.Message is FleetEventRaised { EventType: "endpoint.disabled" })
            {
                _reached.TrySetResult();
                await _let.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
        }

        public Task PostPublish<T>(PublishContext<T> context)
            where T : class => Task.CompletedTask;

        public Task PublishFault<T>(PublishContext<T> context, Exception exception)
            where T : class => Task.CompletedTask;
    }
}
