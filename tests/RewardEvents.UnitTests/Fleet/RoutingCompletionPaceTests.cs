using RewardEvents.Fleet.Routing;

namespace RewardEvents.UnitTests.Fleet;

/// <summary>The completion sweep examines every open saga; its pace keeps that near a fixed number per second.</summary>
public sealed class RoutingCompletionPaceTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData(0L)]
    [InlineData(1_300L)] // the benchmark's backlog of open events
    [InlineData(RoutingCompletion.SagasPerSecond)]
    public void Up_to_the_budget_it_sweeps_every_interval(long open) => Assert.Equal(Interval, RoutingCompletion.Pace(open, Interval));

    [Theory]
    [InlineData(50_000L, 10)]
    [InlineData(300_000L, 60)] // hours of an endpoint's outage: a sweep a minute, not a second
    public void Past_the_budget_sweeps_come_less_often_and_the_saga_rate_stays_at_it(long open, int seconds)
    {
        var wait = RoutingCompletion.Pace(open, Interval);
        Assert.Equal(TimeSpan.FromSeconds(seconds), wait);
        Assert.Equal(RoutingCompletion.SagasPerSecond, open / wait.TotalSeconds, precision: 6);
    }

    [Fact]
    public void A_longer_configured_interval_is_kept() =>
        Assert.Equal(TimeSpan.FromSeconds(30), RoutingCompletion.Pace(10_000, TimeSpan.FromSeconds(30)));
}
