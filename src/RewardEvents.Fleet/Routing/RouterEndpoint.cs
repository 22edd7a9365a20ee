using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RewardEvents.Fleet.Messaging;
using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Routing;

/// <summary>
/// On RabbitMQ, the router's saga endpoint is connected at run time, like the partitions, so the
/// <see cref="ReceiveEndpointWatchdog"/> can reconnect it if it stops consuming after a broker restart.
/// (On the in-memory transport it is configured with the bus, and there is no broker to restart.)
/// </summary>
internal sealed partial class RouterEndpoint(
    ReceiveEndpointWatchdog watchdog,
    IOptions<DeliveryOptions> options,
    ILogger<RouterEndpoint> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await watchdog.ConnectAsync(DeliveryTopology.RouterQueue, exclusive: false,
                (context, endpoint) => endpoint.ConfigureSaga<RoutingState>(context), options.Value.HeartbeatInterval, stoppingToken))
        {
            LogNotReady();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await watchdog.DisconnectAsync(DeliveryTopology.RouterQueue, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The router's endpoint is not ready yet (broker away?); the bus keeps connecting it")]
    private partial void LogNotReady();
}
