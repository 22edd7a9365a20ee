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
    TimeProvider time,
    ILogger<RouterEndpoint> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.HeartbeatInterval;
        if (!await watchdog.ConnectAsync(DeliveryTopology.RouterQueue, exclusive: false,
                (context, endpoint) => endpoint.ConfigureSaga<RoutingState>(context), interval, stoppingToken))
        {
            LogNotReady();
        }

        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await watchdog.CheckAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogCheckFailed(ex);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await watchdog.DisconnectAsync(DeliveryTopology.RouterQueue, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The router's endpoint is not ready yet (broker away?); the bus keeps connecting it")]
    private partial void LogNotReady();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking the router's endpoint failed")]
    private partial void LogCheckFailed(Exception exception);
}
