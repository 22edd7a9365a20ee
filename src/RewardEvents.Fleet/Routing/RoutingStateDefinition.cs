using MassTransit;
using RewardEvents.Contracts;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Routing;

/// <summary>The router's endpoint: retries with a fresh scope on conflicts and outages; sends only after commit.</summary>
public sealed class RoutingStateDefinition : SagaDefinition<RoutingState>
{
    /// <summary>Events one router works on at once (and takes from the broker unacknowledged).</summary>
    public const int ConcurrentMessages = 32;

    public RoutingStateDefinition()
    {
        ConcurrentMessageLimit = ConcurrentMessages;
        Endpoint(e => e.Name = Messaging.DeliveryTopology.RouterQueue);
    }

    protected override void ConfigureSaga(
        IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<RoutingState> sagaConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        // Concurrency conflicts clear in milliseconds; a database restart takes seconds. The exponential
        // intervals cover both, about ten minutes in all, before a message is given up to the error queue.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Exponential(30, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
            // A lost broker connection is not retried in place: the message's channel is gone with it, so
            // retrying would hold the endpoint (which cannot restart while a message is in flight) for
            // minutes. Left unacknowledged, the message returns to the queue and is redelivered on reconnect.
            r.Ignore<ConnectionException>();
            r.Ignore<RabbitMQ.Client.Exceptions.RabbitMQClientException>(); // e.g. AlreadyClosedException from a dead channel
            // A message that cannot be routed (no event id, an unknown type) will not improve with
            // retries: it goes straight to the error queue, with its reason, and the queue moves on.
            r.Ignore<ArgumentException>();
        });
        endpointConfigurator.UseInMemoryOutbox(context);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            // No more unacknowledged events than are routed at once (MassTransit would take 38 for 32). Bench, per-user,
            // 1 worker, 8,000 events x 3 then 200 events/s x 3, four runs each, alternated: in bulk router 0.246-0.258 ->
            // 0.224-0.241 and RabbitMQ 0.214-0.233 -> 0.189-0.204 ms of CPU per delivery, 1,800-2,010 -> 1,966-2,152
            // deliveries/s; at 600/s unchanged. (16, half the concurrency: 1,895-1,933/s, router 0.257 ms.)
            rabbit.PrefetchCount = (ushort)(ConcurrentMessageLimit ?? ConcurrentMessages);
        }

        // Messages for one event (it and its duplicates) go one at a
        // time within this router: without this they race on the saga row's version and burn retries.
        ArgumentNullException.ThrowIfNull(sagaConfigurator);
        var partitioner = endpointConfigurator.CreatePartitioner(ConcurrentMessageLimit ?? ConcurrentMessages);
        sagaConfigurator.Message<RewardRedeemed>(m => m.UsePartitioner(partitioner, c => EventIdentity.IdFor(c.Message.EventId)));
        sagaConfigurator.Message<RewardRedemptionFailed>(m => m.UsePartitioner(partitioner, c => EventIdentity.IdFor(c.Message.EventId)));
        sagaConfigurator.Message<RewardRedemptionReversed>(m => m.UsePartitioner(partitioner, c => EventIdentity.IdFor(c.Message.EventId)));
        sagaConfigurator.Message<FleetEventRaised>(m => m.UsePartitioner(partitioner, c => EventIdentity.IdFor(c.Message.EventId)));
        sagaConfigurator.Message<TestWebhookRequested>(m => m.UsePartitioner(partitioner, c => EventIdentity.IdFor(c.Message.EventId)));
    }
}
