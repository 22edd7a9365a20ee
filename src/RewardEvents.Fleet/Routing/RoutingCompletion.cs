using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Routing;

/// <summary>
/// Moves routing sagas to Completed once every one of their deliveries is final. One set-based
/// update per interval replaces a saga transaction per delivery outcome (load, recount, update),
/// which cost the router more than routing the event itself. The deliveries table is the record
/// of what is final, so a lost or duplicated outcome message cannot complete an event early or
/// leave it open. Several routers may sweep at once: the update is idempotent.
/// </summary>
internal sealed partial class RoutingCompletion(
    IServiceScopeFactory scopes,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<RoutingCompletion> logger) : BackgroundService
{
    /// <summary>
    /// Sagas a sweep may examine per second on average. A sweep looks at every open saga, so with a
    /// long backlog (an endpoint down for hours, hundreds of thousands of events open) sweeping each
    /// second would have the database probing all of them every second; past this many, sweeps come
    /// less often instead, and an event is marked completed that much later (its CompletedAt is still
    /// the time its last delivery became final).
    /// </summary>
    internal const int SagasPerSecond = 5000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wait = options.Value.CompletionInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(wait, time, stoppingToken);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
                var completed = await CompleteAsync(db, stoppingToken);
                if (completed > 0)
                {
                    LogCompleted(completed);
                }

                wait = Pace(await Delivering(db).LongCountAsync(stoppingToken), options.Value.CompletionInterval);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The database may be restarting; the next tick catches up, nothing depends on the moment.
                LogSweepFailed(ex);
            }
        }
    }

    /// <summary>The wait before the next sweep, with <paramref name="open"/> sagas left open by this one.</summary>
    internal static TimeSpan Pace(long open, TimeSpan interval) =>
        TimeSpan.FromSeconds(Math.Max(interval.TotalSeconds, (double)open / SagasPerSecond));

    /// <summary>
    /// The sagas still delivering. The state is a literal in the SQL, not a parameter: the index of delivering sagas is
    /// partial, and a database uses it only for a condition it can see implies the index's own (a generic plan with a
    /// parameter could not).
    /// </summary>
    internal static IQueryable<RoutingState> Delivering(RewardEventsDbContext db) =>
        db.Routings.Where(r => r.CurrentState == EF.Constant(RoutingState.Delivering));

    /// <summary>Completes every delivering saga with no unfinished delivery; returns how many.</summary>
    internal static Task<int> CompleteAsync(RewardEventsDbContext db, CancellationToken cancellationToken) =>
        Delivering(db)
            .Where(r => !db.Deliveries.Any(d => d.RoutingId == r.CorrelationId
                && d.Status != DeliveryStatus.Delivered && d.Status != DeliveryStatus.DeadLettered))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.CurrentState, RoutingState.Completed)
                .SetProperty(r => r.FinalCount, r => r.DeliveryCount)
                .SetProperty(r => r.CompletedAt, r => db.Deliveries.Where(d => d.RoutingId == r.CorrelationId).Max(d => d.FinalAt))
                .SetProperty(r => r.Version, r => r.Version + 1), cancellationToken);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Count} routed events completed")]
    private partial void LogCompleted(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Completing routed events failed; retrying on the next tick")]
    private partial void LogSweepFailed(Exception exception);
}
