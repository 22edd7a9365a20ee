using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Routing;

/// <summary>
/// Deletes the record of events finished longer ago than <see cref="RetentionOptions.Period"/>: the routing, its
/// deliveries and their attempts, a batch of events per transaction, oldest first. Only completed events go, and only
/// while every delivery of theirs is final and none became final within the period (a delivery an operator reopened
/// keeps its whole event). Without it the tables grow by every event ever routed, and so do the queries that read
/// their history. Runs on every router; two deleting the same batch at once leave the second nothing to do.
/// </summary>
internal sealed partial class RetentionSweep(
    IServiceScopeFactory scopes,
    IOptions<RetentionOptions> options,
    TimeProvider time,
    ILogger<RetentionSweep> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retention = options.Value;
        if (!retention.Enabled)
        {
            LogKeepingEverything();
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(retention.Interval, time, stoppingToken);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
                var deleted = await SweepAsync(db, time.GetUtcNow().UtcDateTime - retention.Period, retention.BatchSize, retention.MaxBatchesPerSweep, stoppingToken);
                if (deleted.Events > 0)
                {
                    LogDeleted(deleted.Events, deleted.Deliveries, deleted.Attempts, retention.Period);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The database may be restarting; what is left goes on the next tick.
                LogSweepFailed(ex);
            }
        }
    }

    /// <summary>Deletes batch after batch of events finished before <paramref name="cutoff"/>, until none is left or <paramref name="maxBatches"/> are done.</summary>
    internal static async Task<Deleted> SweepAsync(RewardEventsDbContext db, DateTime cutoff, int batchSize, int maxBatches, CancellationToken cancellationToken)
    {
        var total = new Deleted(0, 0, 0);
        // Events a batch looked at and had to keep (a delivery reopened since the sweep read them): later batches pass
        // them by, so they cannot hold the rest back.
        var kept = new List<Guid>();
        for (var batch = 0; batch < maxBatches; batch++)
        {
            var events = await Expired(db, cutoff).Where(r => !kept.Contains(r.CorrelationId)).Select(r => r.CorrelationId).Take(batchSize)
                .ToListAsync(cancellationToken);
            if (events.Count == 0)
            {
                break;
            }

            var deleted = await DeleteAsync(db, events, cutoff, cancellationToken);
            total = new Deleted(total.Events + deleted.Events, total.Deliveries + deleted.Deliveries, total.Attempts + deleted.Attempts);
            FleetTelemetry.EventsExpired.Add(deleted.Events);
            if (deleted.Events < events.Count)
            {
                kept.AddRange(await db.Routings.Where(r => events.Contains(r.CorrelationId)).Select(r => r.CorrelationId).ToListAsync(cancellationToken));
            }

            if (events.Count < batchSize)
            {
                break;
            }
        }

        return total;
    }

    /// <summary>
    /// Completed events whose saga says they finished before <paramref name="cutoff"/>, oldest first. The state is a literal,
    /// as in <see cref="RoutingCompletion.Delivering"/>, so the database can see its partial index applies.
    /// </summary>
    internal static IQueryable<RoutingState> Expired(RewardEventsDbContext db, DateTime cutoff) =>
        db.Routings.Where(r => r.CurrentState == EF.Constant(RoutingState.Completed) && r.CompletedAt < cutoff).OrderBy(r => r.CompletedAt);

    /// <summary>Deletes those of <paramref name="events"/> that are still finished, with their deliveries and attempts, in one transaction.</summary>
    private static async Task<Deleted> DeleteAsync(RewardEventsDbContext db, List<Guid> events, DateTime cutoff, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The deliveries of those events with nothing open and nothing final since the cutoff (a delivery reopened by
        // hand reopens its event too, but one reopened after the events were read is caught here).
        var deliveries = await db.Deliveries
            .Where(d => events.Contains(d.RoutingId) && !db.Deliveries.Any(o => o.RoutingId == d.RoutingId
                && ((o.Status != DeliveryStatus.Delivered && o.Status != DeliveryStatus.DeadLettered) || o.FinalAt == null || o.FinalAt >= cutoff)))
            .Select(d => d.Id).ToListAsync(cancellationToken);
        // Each deleted only while still final: one reopened since the read above stays, and so does its event.
        var deliveriesDeleted = await db.Deliveries
            .Where(d => deliveries.Contains(d.Id) && (d.Status == DeliveryStatus.Delivered || d.Status == DeliveryStatus.DeadLettered))
            .ExecuteDeleteAsync(cancellationToken);
        var attemptsDeleted = await db.Attempts
            .Where(a => deliveries.Contains(a.DeliveryId) && !db.Deliveries.Any(d => d.Id == a.DeliveryId))
            .ExecuteDeleteAsync(cancellationToken);
        var eventsDeleted = await db.Routings
            .Where(r => events.Contains(r.CorrelationId) && r.CurrentState == EF.Constant(RoutingState.Completed)
                && !db.Deliveries.Any(d => d.RoutingId == r.CorrelationId))
            .ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new Deleted(eventsDeleted, deliveriesDeleted, attemptsDeleted);
    }

    internal readonly record struct Deleted(int Events, int Deliveries, int Attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: deleted {Events} events finished more than {Period} ago, with {Deliveries} deliveries and {Attempts} attempts")]
    private partial void LogDeleted(int events, int deliveries, int attempts, TimeSpan period);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention:Period is zero: every event is kept")]
    private partial void LogKeepingEverything();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting expired events failed; retrying on the next tick")]
    private partial void LogSweepFailed(Exception exception);
}
