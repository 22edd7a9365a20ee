using RewardEvents.Fleet.Api;
using RewardEvents.Persistence;

namespace RewardEvents.UnitTests.Fleet;

/// <summary>An endpoint's latency percentiles from its counts per bucket: never under the exact percentile, never past its bucket.</summary>
public sealed class LatencyPercentileTests
{
    [Theory]
    [InlineData(new[] { 3 }, 0.5)]
    [InlineData(new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 0.5)]
    [InlineData(new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 0.95)]
    [InlineData(new[] { 4, 4, 4, 80, 90, 700, 12_000, 45_000 }, 0.5)]
    [InlineData(new[] { 4, 4, 4, 80, 90, 700, 12_000, 45_000 }, 0.95)]
    [InlineData(new[] { 0, 0, 0, 0, 31_000 }, 0.95)]
    [InlineData(new[] { 0, 0, 0, 0, 31_000 }, 0.5)]
    [InlineData(new[] { 5, 6, 10, 11, 25, 26, 250, 251 }, 0.5)]
    public void The_percentile_is_the_longest_attempt_of_the_bucket_the_exact_one_falls_in(int[] durations, double percentile)
    {
        var buckets = durations.GroupBy(LatencyBuckets.Of)
            .Select(g => new EndpointStatsApi.BucketCount(g.Key, g.Count(), 0, g.Max()))
            .ToList();
        var sorted = durations.Order().ToArray();
        var exact = sorted[Math.Max(1, (int)Math.Ceiling(percentile * sorted.Length)) - 1];

        var reported = EndpointStatsApi.Percentile(buckets, percentile);

        Assert.Equal(sorted.Where(d => LatencyBuckets.Of(d) == LatencyBuckets.Of(exact)).Max(), reported);
        Assert.True(reported >= exact, $"{reported} under the exact {exact}");
    }

    [Fact]
    public void No_attempts_have_no_percentile() => Assert.Null(EndpointStatsApi.Percentile([], 0.5));

    [Theory]
    [InlineData(0, 0)]
    [InlineData(5, 0)]
    [InlineData(6, 1)]
    [InlineData(30_000, 11)]
    [InlineData(30_001, 12)]
    public void Bounds_are_inclusive(int durationMs, int bucket) => Assert.Equal(bucket, LatencyBuckets.Of(durationMs));
}
