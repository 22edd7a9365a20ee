using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Api;

/// <summary><c>/v1/endpoints/{id}/stats</c>: how an endpoint has fared over a recent window, counted in the database.</summary>
internal static class EndpointStatsApi
{
    private static readonly TimeSpan ShortestWindow = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan LongestWindow = TimeSpan.FromDays(7);

    public static void Map(RouteGroupBuilder v1) =>
        v1.MapGet("/endpoints/{id}/stats", GetAsync).RequireScope(ApiScopes.EndpointsRead).WithName("GetEndpointStats")
            .Produces<EndpointStats>().ProducesValidationProblem()
            .WithSummary("Attempts, success rate and latency over a window (e.g. 5m, 1h, 24h, 7d), backlog now, dead letters and circuit.");

    private static async Task<IResult> GetAsync(string id, string? window, RewardEventsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var text = string.IsNullOrWhiteSpace(window) ? "1h" : window.Trim();
        if (!Workers.RetrySchedule.TryParseDelay(text, out var span) || span < ShortestWindow || span > LongestWindow)
        {
            return Problems.Invalid(new Dictionary<string, string[]>
            {
                ["window"] = ["Must be a duration from 1m to 7d, such as 5m, 1h, 24h or 7d."],
            });
        }

        var endpoint = await EndpointsApi.FindAsync(db, id, cancellationToken);
        if (endpoint is null)
        {
            return EndpointsApi.Missing(id);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var since = now - span;
        // Counted by the minute, by the workers (AttemptTally): the window starts with the minute `since` falls in.
        var fromMinute = EndpointMinute.MinuteOf(since);
        var buckets = await db.EndpointMinutes.AsNoTracking()
            .Where(m => m.EndpointId == id && m.Minute >= fromMinute)
            .GroupBy(m => m.Bucket)
            .Select(g => new BucketCount(g.Key, g.Sum(m => m.Attempts), g.Sum(m => m.Succeeded), g.Max(m => m.MaxDurationMs)))
            .ToListAsync(cancellationToken);
        var total = buckets.Sum(b => b.Attempts);
        var succeeded = buckets.Sum(b => b.Succeeded);

        var waiting = await db.Deliveries.CountAsync(d => d.EndpointId == id
            && (d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Waiting || d.Status == DeliveryStatus.Retrying
                || d.Status == DeliveryStatus.InFlight), cancellationToken);
        var deadLettered = await db.Deliveries.CountAsync(d => d.EndpointId == id && d.Status == DeliveryStatus.DeadLettered && d.FinalAt >= fromMinute,
            cancellationToken);

        return Results.Ok(new EndpointStats(
            id, text, fromMinute, total, succeeded, total - succeeded, total == 0 ? null : Math.Round((double)succeeded / total, 4),
            Percentile(buckets, 0.50), Percentile(buckets, 0.95),
            waiting, deadLettered, EndpointView.CircuitOf(endpoint, now)));
    }

    /// <summary>The attempts of one latency bucket in the window.</summary>
    internal sealed record BucketCount(int Bucket, int Attempts, int Succeeded, int MaxDurationMs);

    /// <summary>
    /// The nearest-rank percentile of the window's attempt durations, to its bucket: the longest attempt of the bucket the
    /// percentile falls in (never more than the bucket's upper bound, and never less than the exact percentile).
    /// </summary>
    internal static int? Percentile(IReadOnlyList<BucketCount> buckets, double percentile)
    {
        var total = buckets.Sum(b => b.Attempts);
        if (total == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (int)Math.Ceiling(percentile * total));
        var seen = 0;
        foreach (var bucket in buckets.Where(b => b.Attempts > 0).OrderBy(b => b.Bucket))
        {
            seen += bucket.Attempts;
            if (seen >= rank)
            {
                return bucket.MaxDurationMs;
            }
        }

        throw new InvalidOperationException("unreachable: the ranks add up to the total");
    }
}
