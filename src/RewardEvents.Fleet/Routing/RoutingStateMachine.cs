using MassTransit;
using RewardEvents.Contracts;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Routing;

/// <summary>
/// One saga per event, correlated by a GUID derived from the event id: routes it to the matching
/// endpoints and stays Delivering until every delivery is final; <see cref="RoutingCompletion"/>
/// then moves it to Completed, in bulk, from the deliveries table (not from outcome messages).
/// </summary>
public sealed class RoutingStateMachine : MassTransitStateMachine<RoutingState>
{
    public RoutingStateMachine()
    {
        InstanceState(x => x.CurrentState);

        Event(() => Redeemed, e => e.CorrelateById(c => EventIdentity.IdFor(c.Message.EventId)));
        Event(() => RedemptionFailed, e => e.CorrelateById(c => EventIdentity.IdFor(c.Message.EventId)));
        Event(() => RedemptionReversed, e => e.CorrelateById(c => EventIdentity.IdFor(c.Message.EventId)));
        Event(() => FleetEvent, e => e.CorrelateById(c => EventIdentity.IdFor(c.Message.EventId)));
        Event(() => TestRequested, e => e.CorrelateById(c => EventIdentity.IdFor(c.Message.EventId)));

        Initially(Route(When(Redeemed)), Route(When(RedemptionFailed)), Route(When(RedemptionReversed)), Route(When(FleetEvent)), Route(When(TestRequested)));

        During(Delivering, Completed,
            When(Redeemed).Activity(x => x.OfType<RedispatchPendingActivity<RewardRedeemed>>()),
            When(RedemptionFailed).Activity(x => x.OfType<RedispatchPendingActivity<RewardRedemptionFailed>>()),
            When(RedemptionReversed).Activity(x => x.OfType<RedispatchPendingActivity<RewardRedemptionReversed>>()),
            When(FleetEvent).Activity(x => x.OfType<RedispatchPendingActivity<FleetEventRaised>>()),
            When(TestRequested).Activity(x => x.OfType<RedispatchPendingActivity<TestWebhookRequested>>()));
    }

    public State Delivering { get; private set; } = null!;
    public State Completed { get; private set; } = null!;

    public Event<RewardRedeemed> Redeemed { get; private set; } = null!;
    public Event<RewardRedemptionFailed> RedemptionFailed { get; private set; } = null!;
    public Event<RewardRedemptionReversed> RedemptionReversed { get; private set; } = null!;
    public Event<FleetEventRaised> FleetEvent { get; private set; } = null!;
    public Event<TestWebhookRequested> TestRequested { get; private set; } = null!;

    private EventActivityBinder<RoutingState, T> Route<T>(EventActivityBinder<RoutingState, T> binder)
        where T : class =>
        binder
            .Activity(x => x.OfType<RouteEventActivity<T>>())
            .IfElse(c => c.Saga.DeliveryCount == 0,
                none => none.Then(c => c.Saga.CompletedAt = c.Saga.ReceivedAt).TransitionTo(Completed),
                some => some.TransitionTo(Delivering));

}
