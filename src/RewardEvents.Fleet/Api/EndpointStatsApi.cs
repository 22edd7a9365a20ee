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
        // Attempts that really left (a short-circuited one never reached the receiver).
        var attempts = from a in db.Attempts.AsNoTracking()
                       join d in db.Deliveries.AsNoTracking() on a.DeliveryId equals d.Id
                       where d.EndpointId == id && a.StartedAt >= since && (a.Error == null || a.Error != "circuit_open")
                       select a;
        var counts = await attempts.GroupBy(_ => 1)
            .Select(g => new { Total = g.Count(), Succeeded = g.Count(a => a.Succeeded) })
            .FirstOrDefaultAsync(cancellationToken);
        var total = counts?.Total ?? 0;
        var succeeded = counts?.Succeeded ?? 0;

        var waiting = await db.Deliveries.CountAsync(d => d.EndpointId == id
            && (d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Waiting || d.Status == DeliveryStatus.Retrying
                || d.Status == DeliveryStatus.InFlight), cancellationToken);
        var deadLettered = await db.Deliveries.CountAsync(d => d.EndpointId == id && d.Status == DeliveryStatus.DeadLettered && d.FinalAt >= since,
            cancellationToken);

        return Results.Ok(new EndpointStats(
            id, text, since, total, succeeded, total - succeeded, total == 0 ? null : Math.Round((double)succeeded / total, 4),
            await PercentileAsync(attempts, total, 0.50, cancellationToken), await PercentileAsync(attempts, total, 0.95, cancellationToken),
            waiting, deadLettered, EndpointView.CircuitOf(endpoint, now)));
    }

    /// <summary>The nearest-rank percentile of attempt durations, picked by the database (ORDER BY … OFFSET k LIMIT 1) on every provider.</summary>
    private static async Task<int?> PercentileAsync(IQueryable<Attempt> attempts, int count, double percentile, CancellationToken cancellationToken)
    {
        if (count == 0)
        {
            return null;
        }

        var rank = Math.Max(0, (int)Math.Ceiling(percentile * count) - 1);
        return await attempts.OrderBy(a => a.DurationMs).Skip(rank).Select(a => (int?)a.DurationMs).FirstOrDefaultAsync(cancellationToken);
    }
}
