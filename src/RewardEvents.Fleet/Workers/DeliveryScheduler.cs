using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RewardEvents.Fleet.Messaging;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Workers;

/// <summary>
/// The durable retry schedule: the database holds when each delivery is due, and every worker sweeps
/// it, dispatching due retries, deliveries nobody claimed in time, attempts whose worker died
/// mid-request (expired lease) and parked deliveries whose predecessor is final. A conditional update
/// decides which worker dispatches each, so several sweepers never double up.
/// </summary>
internal sealed partial class DeliveryScheduler(
    IServiceScopeFactory scopes,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<DeliveryScheduler> logger,
    AttemptTally tally,
    BrokerReconnections? reconnections = null) : BackgroundService
{
    private const int BatchSize = 500;
    private static readonly TimeSpan GaugeInterval = TimeSpan.FromSeconds(10);
    private DateTime _gaugesAt;
    private int _reconnectionsSeen;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SchedulerInterval, time);
        do
        {
            try
            {
                while (await SweepAsync(stoppingToken) == BatchSize && !stoppingToken.IsCancellationRequested)
                {
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The database may be restarting; the next tick tries again and nothing due is lost.
                LogSweepFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    internal async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        var dispatcher = scope.ServiceProvider.GetRequiredService<IDeliveryDispatcher>();
        var sender = scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>();
        var now = time.GetUtcNow().UtcDateTime;
        var redispatchBy = now + options.Value.DispatchGrace;

        if (now - _gaugesAt >= GaugeInterval)
        {
            _gaugesAt = now;
            await RefreshGaugesAsync(db, scope.ServiceProvider, now, cancellationToken);
        }

        if (reconnections?.Last is { } reconnected && reconnected.Count != _reconnectionsSeen)
        {
            if (!options.Value.PersistentDispatch)
            {
                LogDispatchingAgain(await ExpediteUnclaimed(db, now, reconnected.LostAt + options.Value.DispatchGrace, cancellationToken));
            }

            _reconnectionsSeen = reconnected.Count;
        }

        var due = await Due(db, now).ToListAsync(cancellationToken);

        foreach (var delivery in due)
        {
            if (delivery.Status == DeliveryStatus.Waiting && await db.Deliveries.HasUnfinishedPredecessorAsync(delivery, cancellationToken))
            {
                await db.Deliveries.Where(d => d.Id == delivery.Id && d.Status == DeliveryStatus.Waiting)
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, now + DeliveryProcessor.ParkRecheck), cancellationToken);
                continue;
            }

            // Due retries and expired leases become Pending again; the redispatch deadline covers a lost message.
            var nextStatus = delivery.Status == DeliveryStatus.Waiting ? DeliveryStatus.Waiting : DeliveryStatus.Pending;
            var taken = await db.Deliveries
                .Where(d => d.Id == delivery.Id && d.Status == delivery.Status && d.AttemptCount == delivery.AttemptCount
                    && d.NextAttemptAt == delivery.NextAttemptAt && d.LeaseUntil == delivery.LeaseUntil)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(d => d.Status, nextStatus)
                    .SetProperty(d => d.NextAttemptAt, redispatchBy)
                    .SetProperty(d => d.LeaseUntil, (DateTime?)null), cancellationToken);
            if (taken == 1)
            {
                await LostAttempts.RecordAsync(db, delivery, options.Value, tally, now, cancellationToken);
                await dispatcher.DispatchAsync(sender, DeliveryCommands.For(delivery), cancellationToken);
            }
        }

        return due.Count;
    }

    /// <summary>
    /// What the sweep takes next: retries and parked deliveries come due, deliveries not attempted by their redispatch
    /// deadline, attempts whose lease ran out; the most overdue first.
    /// </summary>
    internal static IQueryable<Delivery> Due(RewardEventsDbContext db, DateTime now) =>
        db.Deliveries.AsNoTracking()
            .Where(d => ((d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Retrying || d.Status == DeliveryStatus.Waiting)
                    && d.NextAttemptAt <= now)
                || (d.Status == DeliveryStatus.InFlight && d.LeaseUntil <= now))
            .OrderBy(d => d.NextAttemptAt)
            .Take(BatchSize);

    /// <summary>
    /// After the broker connection came back: the transient messages for deliveries not yet claimed may have gone with
    /// a broker restart, so those dispatched before the loss was seen (their redispatch deadline at most
    /// <paramref name="dispatchedBefore"/>, the loss plus the grace) become due now rather than at that deadline. Those
    /// dispatched since, by another worker's sweep after its own reconnection among them, are left alone. Where a
    /// message did survive (a network break, not a restart), the delivery gets a second one, which its claim turns away.
    /// </summary>
    internal static Task<int> ExpediteUnclaimed(RewardEventsDbContext db, DateTime now, DateTime dispatchedBefore, CancellationToken cancellationToken) =>
        db.Deliveries
            .Where(d => d.Status == DeliveryStatus.Pending && d.NextAttemptAt > now && d.NextAttemptAt <= dispatchedBefore)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, now), cancellationToken);

    /// <summary>Backlog and health figures for the metrics; cheap enough every ten seconds, too dear per scrape.</summary>
    private static async Task RefreshGaugesAsync(RewardEventsDbContext db, IServiceProvider services, DateTime now, CancellationToken cancellationToken)
    {
        // Every live endpoint gets a series, zero included, so an empty backlog reads as 0 rather than as no data.
        var waiting = await db.Endpoints.AsNoTracking().Where(e => e.DeletedAt == null)
            .ToDictionaryAsync(e => e.Id, _ => 0L, cancellationToken);
        var open = await db.Deliveries.AsNoTracking()
            .Where(d => d.Status != DeliveryStatus.Delivered && d.Status != DeliveryStatus.DeadLettered)
            .GroupBy(d => d.EndpointId).Select(g => new { g.Key, Count = g.LongCount() })
            .ToListAsync(cancellationToken);
        foreach (var backlog in open)
        {
            waiting[backlog.Key] = backlog.Count;
        }

        var circuits = await db.Endpoints.LongCountAsync(e => e.DeletedAt == null && e.CircuitOpenUntil != null, cancellationToken);
        var disabled = await db.Endpoints.LongCountAsync(e => e.DeletedAt == null && !e.Enabled, cancellationToken);
        var held = services.GetService<PartitionOwnership>()?.Held.Count ?? 0;
        FleetTelemetry.Gauges = new FleetGauges(waiting, circuits, disabled, held);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "The broker connection came back; {Count} unclaimed deliveries are dispatched again now, as their messages may have gone with a broker restart")]
    private partial void LogDispatchingAgain(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery schedule sweep failed; retrying on the next tick")]
    private partial void LogSweepFailed(Exception exception);
}
