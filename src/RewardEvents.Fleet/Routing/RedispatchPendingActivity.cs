using MassTransit;
using Microsoft.EntityFrameworkCore;
using RewardEvents.Fleet.Messaging;
using RewardEvents.Fleet.Workers;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Routing;

/// <summary>
/// A duplicate of an event already routed: fan out nothing new, but send again any delivery that was
/// never attempted, which heals a crash between the routing commit and its sends.
/// </summary>
internal sealed class RedispatchPendingActivity<TMessage>(RewardEventsDbContext db, IDeliveryDispatcher dispatcher)
    : IStateMachineActivity<RoutingState, TMessage>
    where TMessage : class
{
    public async Task Execute(BehaviorContext<RoutingState, TMessage> context, IBehavior<RoutingState, TMessage> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var routingId = context.Saga.CorrelationId;
        var pending = await db.Deliveries.AsNoTracking()
            .Where(d => d.RoutingId == routingId && d.Status == DeliveryStatus.Pending && d.AttemptCount == 0)
            .ToListAsync(context.CancellationToken);
        await dispatcher.DispatchAsync(context, pending.ConvertAll(DeliveryCommands.For), context.CancellationToken);

        await next.Execute(context);
    }

    public Task Faulted<TException>(BehaviorExceptionContext<RoutingState, TMessage, TException> context, IBehavior<RoutingState, TMessage> next)
        where TException : Exception
    {
        ArgumentNullException.ThrowIfNull(next);
        return next.Faulted(context);
    }

    public void Probe(ProbeContext context) => context?.CreateScope("redispatch-pending");

    public void Accept(StateMachineVisitor visitor) => visitor?.Visit(this);
}
