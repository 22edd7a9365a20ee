using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RewardEvents.Contracts;

namespace RewardEvents.Fleet.Messaging;

/// <summary>
/// Declares the queues every message of the fleet is headed for, before this host's bus starts, so a
/// message sent before its consumer's first start waits in its queue instead of reaching an exchange
/// with nothing bound, which the broker confirms and drops. The broker cannot tell "no consumer yet"
/// from "nobody wants this"; on a fresh deployment the Api may take events before any router has run,
/// and the router may route before any worker has connected its partitions.
/// <list type="bullet">
/// <item>The router's queue, bound the way MassTransit binds a consumer's queue: each consumed message
/// type's exchange → the queue's own fanout exchange → the queue. Declared by every host.</item>
/// <item>The delivery exchange and every partition queue, as a worker's partition endpoint declares
/// them: the hash exchange → the queue's own fanout exchange (binding key "1") → the queue, with single
/// active consumer. Declared by routers and workers.</item>
/// </list>
/// Every declaration equals MassTransit's for the same names (a different argument would make the
/// broker refuse one of the two).
/// </summary>
internal sealed partial class FleetTopologyDeclarer(
    FleetRoles roles,
    IConfiguration configuration,
    IOptions<DeliveryOptions> options,
    ILogger<FleetTopologyDeclarer> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(30);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _background;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StartupDeadline);
        if (await TryUntilDeclaredAsync(deadline.Token))
        {
            return;
        }

        cancellationToken.ThrowIfCancellationRequested();
        LogStillTrying(StartupDeadline.TotalSeconds);
        _background = Task.Run(() => TryUntilDeclaredAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_background is not null)
        {
            await _background.WaitAsync(cancellationToken);
        }
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>The message types the router consumes, which other hosts publish.</summary>
    private static readonly Type[] RouterInputs =
    [
        typeof(RewardRedeemed), typeof(RewardRedemptionFailed), typeof(RewardRedemptionReversed),
        typeof(FleetEventRaised), typeof(TestWebhookRequested),
    ];

    /// <summary>
    /// Outcome messages the router consumed before completion moved to <see cref="Routing.RoutingCompletion"/>;
    /// a broker that still binds them to the router's queue would fill it with messages nobody takes.
    /// </summary>
    private static readonly Type[] FormerRouterInputs = [typeof(WebhookDelivered), typeof(WebhookDeliveryDeadLettered)];

    /// <summary>The router's queue and its bindings; idempotent.</summary>
    internal static async Task DeclareRouterQueueAsync(IChannel channel, CancellationToken cancellationToken)
    {
        const string Queue = DeliveryTopology.RouterQueue;
        await channel.ExchangeDeclareAsync(Queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(Queue, Queue, "", cancellationToken: cancellationToken);
        foreach (var type in RouterInputs)
        {
            await channel.ExchangeBindAsync(Queue, await DeclareMessageExchangeAsync(channel, type, cancellationToken), "",
                cancellationToken: cancellationToken);
        }

        foreach (var type in FormerRouterInputs)
        {
            // Declared first because unbinding from a missing exchange is a channel error; a no-op otherwise.
            await channel.ExchangeUnbindAsync(Queue, await DeclareMessageExchangeAsync(channel, type, cancellationToken), "",
                cancellationToken: cancellationToken);
        }
    }

    /// <summary>A message type's exchange as MassTransit declares it (durable fanout, named "Namespace:TypeName"); returns its name.</summary>
    private static async Task<string> DeclareMessageExchangeAsync(IChannel channel, Type messageType, CancellationToken cancellationToken)
    {
        var exchange = $"{messageType.Namespace}:{messageType.Name}";
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        return exchange;
    }

    /// <summary>The delivery exchange and the partition queues; idempotent.</summary>
    internal static async Task DeclarePartitionQueuesAsync(IChannel channel, int partitions, CancellationToken cancellationToken)
    {
        await channel.ExchangeDeclareAsync(DeliveryTopology.Exchange, "x-consistent-hash", durable: true, autoDelete: false,
            cancellationToken: cancellationToken);
        var queueArguments = new Dictionary<string, object?> { ["x-single-active-consumer"] = true };
        for (var partition = 0; partition < partitions; partition++)
        {
            var name = DeliveryTopology.PartitionQueue(partition);
            await channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, queueArguments,
                cancellationToken: cancellationToken);
            await channel.QueueBindAsync(name, name, "", cancellationToken: cancellationToken);
            await channel.ExchangeBindAsync(name, DeliveryTopology.Exchange, "1", cancellationToken: cancellationToken);
        }
    }

    private async Task<bool> TryUntilDeclaredAsync(CancellationToken cancellationToken)
    {
        var factory = BrokerConnection.Factory(configuration, "rewardevents-topology");
        var delay = TimeSpan.FromMilliseconds(500);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await factory.CreateConnectionAsync(cancellationToken);
                await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                await DeclareRouterQueueAsync(channel, cancellationToken);
                if ((roles & (FleetRoles.Router | FleetRoles.Worker)) != 0)
                {
                    await DeclarePartitionQueuesAsync(channel, options.Value.Partitions, cancellationToken);
                }

                LogDeclared(roles);
                return true;
            }
            catch (Exception ex) when (BrokerConnection.IsUnavailable(ex))
            {
                LogRetrying(ex.Message);
            }

            try
            {
                await Task.Delay(delay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fleet queues declared for roles {Roles}")]
    private partial void LogDeclared(FleetRoles roles);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not declare the fleet's queues yet ({Reason}); retrying")]
    private partial void LogRetrying(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fleet queues still not declared after {Seconds} s; starting anyway and retrying in the background")]
    private partial void LogStillTrying(double seconds);
}
