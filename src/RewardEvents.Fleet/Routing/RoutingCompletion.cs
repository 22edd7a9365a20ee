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
    private static readonly string Delivering = nameof(RoutingStateMachine.Delivering);
    private static readonly string Completed = nameof(RoutingStateMachine.Completed);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CompletionInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var completed = await CompleteAsync(scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>(), stoppingToken);
                if (completed > 0)
                {
                    LogCompleted(completed);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The database may be restarting; the next tick catches up, nothing depends on the moment.
                LogSweepFailed(ex);
            }
        }
    }

    /// <summary>Completes every delivering saga with no unfinished delivery; returns how many.</summary>
    internal static Task<int> CompleteAsync(RewardEventsDbContext db, CancellationToken cancellationToken) =>
        db.Routings
            .Where(r => r.CurrentState == Delivering && !db.Deliveries.Any(d => d.RoutingId == r.CorrelationId
                && d.Status != DeliveryStatus.Delivered && d.Status != DeliveryStatus.DeadLettered))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.CurrentState, Completed)
                .SetProperty(r => r.FinalCount, r => r.DeliveryCount)
                .SetProperty(r => r.CompletedAt, r => db.Deliveries.Where(d => d.RoutingId == r.CorrelationId).Max(d => d.FinalAt))
                .SetProperty(r => r.Version, r => r.Version + 1), cancellationToken);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Count} routed events completed")]
    private partial void LogCompleted(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Completing routed events failed; retrying on the next tick")]
    private partial void LogSweepFailed(Exception exception);
}
