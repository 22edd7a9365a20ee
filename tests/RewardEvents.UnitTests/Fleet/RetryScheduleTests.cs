using RewardEvents.Fleet.Workers;

namespace RewardEvents.UnitTests.Fleet;

public sealed class RetryScheduleTests
{
    [Fact]
    public void The_default_schedule_has_eight_attempts_with_the_documented_delays()
    {
        var schedule = RetrySchedule.Parse(RetrySchedule.DefaultText);
        Assert.Equal(8, schedule.MaxAttempts);
        Assert.Equal(
            [TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
             TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10)],
            schedule.Delays);
    }

    [Fact]
    public void Three_delays_mean_four_attempts_and_the_schedule_ends_after_the_fourth()
    {
        var schedule = RetrySchedule.Parse("1s,2s,5s");
        Assert.Equal(4, schedule.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(1), schedule.DelayAfter(1, 0, new Random(1)));
        Assert.Equal(TimeSpan.FromSeconds(5), schedule.DelayAfter(3, 0, new Random(1)));
        Assert.Null(schedule.DelayAfter(4, 0, new Random(1)));
    }

    [Fact]
    public void Jitter_stays_within_twenty_percent_and_actually_varies()
    {
        var schedule = RetrySchedule.Parse("10s");
        var random = new Random(42);
        var delays = Enumerable.Range(0, 500).Select(_ => schedule.DelayAfter(1, 0.2, random)!.Value.TotalSeconds).ToList();
        Assert.All(delays, d => Assert.InRange(d, 8.0, 12.0));
        Assert.True(delays.Max() - delays.Min() > 2.0, "jitter should spread delays across most of the ±20 % band");
    }

    [Theory]
    [InlineData("500ms,1.5s,2m,1h,1d", "500ms,1500ms,2m,1h,24h")]
    [InlineData(" 5s , 5m ", "5s,5m")]
    public void Schedules_parse_with_units_and_round_trip(string text, string expected)
    {
        Assert.Equal(expected, RetrySchedule.Parse(text).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5 parsecs")]
    [InlineData("-1s")]
    [InlineData("0s")]
    [InlineData("8d")]
    [InlineData("5s,,5m")]
    public void Bad_schedules_are_refused_with_a_message_naming_the_bad_part(string text)
    {
        Assert.False(RetrySchedule.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }
}
