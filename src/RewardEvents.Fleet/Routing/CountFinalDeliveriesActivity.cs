using MassTransit;
using Microsoft.EntityFrameworkCore;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Routing;

/// <summary>
/// Recounts the event's final deliveries from the database rather than adding one per outcome
/// message, so a duplicated outcome never completes an event early.
/// </summary>
internal sealed class CountFinalDeliveriesActivity<TMessage>(RewardEventsDbContext db, TimeProvider time)
    : IStateMachineActivity<RoutingState, TMessage>
    where TMessage : class
{
    public async Task Execute(BehaviorContext<RoutingState, TMessage> context, IBehavior<RoutingState, TMessage> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var routingId = context.Saga.CorrelationId;
        context.Saga.FinalCount = await db.Deliveries.CountAsync(
            d => d.RoutingId == routingId && (d.Status == DeliveryStatus.Delivered || d.Status == DeliveryStatus.DeadLettered),
            context.CancellationToken);
        if (context.Saga.FinalCount >= context.Saga.DeliveryCount)
        {
            context.Saga.CompletedAt ??= time.GetUtcNow().UtcDateTime;
        }

        await next.Execute(context);
    }

    public Task Faulted<TException>(BehaviorExceptionContext<RoutingState, TMessage, TException> context, IBehavior<RoutingState, TMessage> next)
        where TException : Exception
    {
        ArgumentNullException.ThrowIfNull(next);
        return next.Faulted(context);
    }

    public void Probe(ProbeContext context) => context?.CreateScope("count-final-deliveries");

    public void Accept(StateMachineVisitor visitor) => visitor?.Visit(this);
}
