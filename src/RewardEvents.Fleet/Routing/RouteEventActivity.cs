using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RewardEvents.Fleet.Messaging;
using RewardEvents.Fleet.Routing.Triggers;
using RewardEvents.Fleet.Workers;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Routing;

/// <summary>
/// Routes a new event: matches endpoints, takes the user's next sequence number, writes one delivery
/// per endpoint and sends them to the user's partition in one <c>DeliverWebhookBatch</c>. The rows are committed with the saga in one
/// transaction; the sends leave only after that commit (in-memory outbox), so a crash in between is
/// healed by redelivery of the event and by the scheduler's sweep of undispatched deliveries.
/// </summary>
internal sealed class RouteEventActivity<TMessage>(
    RewardEventsDbContext db, RoutingSagaReader reader, EndpointDirectory directory, IDeliveryDispatcher dispatcher, IOptions<DeliveryOptions> options, TimeProvider time)
    : IStateMachineActivity<RoutingState, TMessage>
    where TMessage : class
{
    public async Task Execute(BehaviorContext<RoutingState, TMessage> context, IBehavior<RoutingState, TMessage> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var cancellationToken = context.CancellationToken;
        var input = RoutingInput.From(context.Message);
        var now = time.GetUtcNow().UtcDateTime;

        // The user's counter and the endpoints' stamp, read with the saga row (else in one query of their own);
        // the endpoint list itself comes from memory unless the stamp has moved.
        var userId = input.UserId;
        var probe = reader.TakeProbe(userId)
            ?? await RoutingSagaReader.Probe(db, userId).FirstOrDefaultAsync(cancellationToken)
            // No stamp row (removed by hand): the counter alone, and the endpoint list read every time.
            ?? await db.UserSequences.AsNoTracking().Where(u => u.UserId == userId)
                .Select(u => new RoutingProbe(null, u.LastSequence, u.Version)).FirstOrDefaultAsync(cancellationToken)
            ?? new RoutingProbe(null, null, null);
        var live = await directory.LiveAsync(db, probe.Stamp, cancellationToken);

        // A test event goes to its one endpoint; anything else to every endpoint subscribed to its type whose trigger it satisfies.
        var endpoints = input.TargetEndpointId is { } target
            ? live.Where(e => e.Id == target).ToList()
            : live.Where(e => e.Subscribes(input.EventType) && Trigger.Allows(e.Trigger, input.Subject)).ToList();

        UserSequence counter;
        if (probe is { LastSequence: { } last, Version: { } version })
        {
            // Attached as read, so the update below carries the version read as its condition.
            counter = new UserSequence { UserId = userId, LastSequence = last, Version = version };
            db.UserSequences.Attach(counter);
        }
        else
        {
            counter = new UserSequence { UserId = userId };
            db.UserSequences.Add(counter);
        }

        // The counter row is a concurrency token: two events of one user racing here conflict and one is
        // retried, so the sequence order is also the commit order of their deliveries.
        counter.LastSequence++;
        counter.Version++;

        var saga = context.Saga;
        saga.EventId = input.EventId;
        saga.EventType = input.EventType;
        saga.UserId = input.UserId;
        saga.Sequence = counter.LastSequence;
        saga.Payload = input.Payload(counter.LastSequence);
        saga.ReceivedAt = now;
        saga.DeliveryCount = endpoints.Count;
        saga.FinalCount = 0;

        var webhookId = EventIdentity.WebhookIdFor(saga.CorrelationId);
        var deliveries = endpoints.Select(endpoint => new Delivery
        {
            Id = input.DeliveryId ?? NewId.NextGuid(),
            RoutingId = saga.CorrelationId,
            EventId = input.EventId,
            EventType = input.EventType,
            EndpointId = endpoint.Id,
            UserId = input.UserId,
            Sequence = counter.LastSequence,
            WebhookId = webhookId,
            Status = DeliveryStatus.Pending,
            CreatedAt = now,
            NextAttemptAt = now + options.Value.DispatchGrace,
            TraceParent = System.Diagnostics.Activity.Current?.Id,
            Test = input.Test,
        }).ToList();
        db.Deliveries.AddRange(deliveries);

        FleetTelemetry.EventsRouted.Add(1, new KeyValuePair<string, object?>("event_type", input.EventType));
        // All of them concern one user, so one partition: one message for the lot.
        await dispatcher.DispatchAsync(context, deliveries.ConvertAll(DeliveryCommands.For), cancellationToken);

        await next.Execute(context);
    }

    public Task Faulted<TException>(BehaviorExceptionContext<RoutingState, TMessage, TException> context, IBehavior<RoutingState, TMessage> next)
        where TException : Exception
    {
        ArgumentNullException.ThrowIfNull(next);
        return next.Faulted(context);
    }

    public void Probe(ProbeContext context) => context?.CreateScope("route-event");

    public void Accept(StateMachineVisitor visitor) => visitor?.Visit(this);
}

/// <summary>What the router reads first for an event; <see cref="Stamp"/> is null only where the stamp row is missing.</summary>
internal sealed record RoutingProbe(Guid? Stamp, long? LastSequence, int? Version);
