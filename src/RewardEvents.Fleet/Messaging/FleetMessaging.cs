using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RewardEvents.Contracts;
using RewardEvents.Fleet.Routing;
using RewardEvents.Fleet.Workers;
using RewardEvents.Persistence;
using RewardEvents.Persistence.Sagas;

namespace RewardEvents.Fleet.Messaging;

/// <summary>The bus: which roles consume what, on RabbitMQ or the in-memory transport.</summary>
internal static class FleetMessaging
{
    public static IServiceCollection AddFleetMessaging(this IServiceCollection services, IConfiguration configuration, FleetRoles roles)
    {
        var transport = configuration.GetSection(TransportOptions.Section).Get<TransportOptions>() ?? new TransportOptions();
        var rabbitMq = configuration.GetConnectionString("RabbitMq");
        if (transport.Kind == TransportKind.RabbitMq && !Uri.TryCreate(rabbitMq, UriKind.Absolute, out _))
        {
            throw new OptionsValidationException("ConnectionStrings:RabbitMq", typeof(TransportOptions),
                ["ConnectionStrings:RabbitMq must be an amqp:// URI when Transport:Kind is RabbitMq " +
                 $"(it is '{rabbitMq ?? "missing"}'); set Transport:Kind=InMemory to run without a broker."]);
        }

        if (transport.Kind == TransportKind.RabbitMq)
        {
            services.AddSingleton<IDeliveryDispatcher, RabbitMqDeliveryDispatcher>();
        }
        else
        {
            services.AddSingleton<IDeliveryDispatcher, InMemoryDeliveryDispatcher>();
        }

        services.AddSingleton<EndpointDirectory>();
        services.AddScoped(typeof(RouteEventActivity<>));
        services.AddScoped<RoutingSagaReader>();
        services.AddScoped<ISagaInstanceReader<RoutingState, RewardEventsDbContext>>(sp => sp.GetRequiredService<RoutingSagaReader>());
        services.AddScoped(typeof(RedispatchPendingActivity<>));

        services.AddMassTransit(x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            // No usage reports to MassTransit's servers from a production host. (Its observer also
            // enumerated the endpoint list unguarded while the router's endpoint was being connected,
            // and faulted the bus start: seen once in the benchmark smoke run.)
            x.DisableUsageTelemetry();
            if (roles.HasFlag(FleetRoles.Router))
            {
                var saga = x.AddSagaStateMachine<RoutingStateMachine, RoutingState, RoutingStateDefinition>()
                    .EntityFrameworkRepository<RoutingState, RewardEventsDbContext>();
                if (transport.Kind == TransportKind.RabbitMq)
                {
                    saga.ExcludeFromConfigureEndpoints(); // connected by RouterEndpoint, under the watchdog
                }
            }

            if (roles.HasFlag(FleetRoles.Worker))
            {
                x.AddConsumer<DeliverWebhookConsumer>().ExcludeFromConfigureEndpoints();
                x.AddConsumer<DeliverWebhookBatchConsumer>().ExcludeFromConfigureEndpoints();
            }

            if (transport.Kind == TransportKind.RabbitMq)
            {
                x.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(new Uri(rabbitMq!));
                    cfg.ConfigureEndpoints(context);
                });
            }
            else
            {
                x.UsingInMemory((context, cfg) =>
                {
                    cfg.ConfigureEndpoints(context);
                    if (roles.HasFlag(FleetRoles.Worker))
                    {
                        var delivery = context.GetRequiredService<IOptions<DeliveryOptions>>().Value;
                        cfg.ReceiveEndpoint(DeliveryTopology.InMemoryQueue, e => ConfigureDeliveryEndpoint(e, context, delivery));
                    }
                });
            }
        });

        if (roles.HasFlag(FleetRoles.Router))
        {
            services.AddHostedService<RoutingCompletion>();
            services.AddHostedService<RetentionSweep>();
        }

        if (roles.HasFlag(FleetRoles.Router) && transport.Kind == TransportKind.RabbitMq)
        {
            services.AddHostedService<RouterEndpoint>(); // after the bus's own hosted service, so it starts later
        }

        return services;
    }

    /// <summary>A partition queue: bound to the consistent-hash exchange, one active consumer across the fleet.</summary>
    internal static void ConfigurePartitionEndpoint(IReceiveEndpointConfigurator endpoint, IBusRegistrationContext context, DeliveryOptions options)
    {
        var rabbit = (IRabbitMqReceiveEndpointConfigurator)endpoint;
        rabbit.ConfigureConsumeTopology = false;
        rabbit.SingleActiveConsumer = true;
        // No more unacknowledged messages than are worked on at once: the broker hands the next one over as each is
        // acknowledged. Twice as many (at least 16) held the extras in the worker for nothing: bench, per-user, 1 worker,
        // 8,000 events x 3, three runs each, alternated: worker 0.175-0.189 -> 0.163-0.167 ms of CPU per delivery,
        // 1,819-1,875 -> 1,876-1,919 deliveries/s; at 600/s unchanged (p99 16-20 and 17-23 ms).
        rabbit.PrefetchCount = (ushort)options.ConcurrencyPerPartition;
        rabbit.Bind(DeliveryTopology.Exchange, b =>
        {
            b.ExchangeType = "x-consistent-hash";
            b.RoutingKey = "1"; // equal weight for every partition
        });
        ConfigureDeliveryEndpoint(endpoint, context, options);
    }

    private static void ConfigureDeliveryEndpoint(IReceiveEndpointConfigurator endpoint, IBusRegistrationContext context, DeliveryOptions options)
    {
        endpoint.ConcurrentMessageLimit = options.ConcurrencyPerPartition;
        // In-place retries only cover database blips; anything longer is recovered by the scheduler's
        // sweep, because the delivery's state (not this message) is the source of truth.
        endpoint.UseMessageRetry(r =>
        {
            r.Exponential(8, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200));
            r.Ignore<ConnectionException>(); // redelivered on reconnect; see RoutingStateDefinition
            r.Ignore<RabbitMQ.Client.Exceptions.RabbitMQClientException>();
        });
        // One (endpoint, user) pair at a time inside this process (DeliveryTurns, shared by both consumers, as a batch
        // holds several pairs); different pairs run concurrently.
        endpoint.ConfigureConsumer<DeliverWebhookConsumer>(context);
        endpoint.ConfigureConsumer<DeliverWebhookBatchConsumer>(context);
    }
}
