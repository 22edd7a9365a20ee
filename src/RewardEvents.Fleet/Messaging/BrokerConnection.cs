using Microsoft.Extensions.Configuration;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RewardEvents.Fleet.Messaging;

/// <summary>The fleet's own short-lived RabbitMQ connections, beside the bus's (topology declaration, queue probes).</summary>
internal static class BrokerConnection
{
    /// <summary>A factory for <c>ConnectionStrings:RabbitMq</c>, without automatic recovery: callers retry on their own schedule.</summary>
    public static ConnectionFactory Factory(IConfiguration configuration, string clientName) => new()
    {
        Uri = new Uri(configuration.GetConnectionString("RabbitMq")!),
        ClientProvidedName = clientName,
        AutomaticRecoveryEnabled = false,
    };

    /// <summary>Whether <paramref name="exception"/> means the broker cannot be reached or the connection was lost (worth trying again later).</summary>
    public static bool IsUnavailable(Exception exception) =>
        exception is RabbitMQClientException or IOException or TimeoutException or System.Net.Sockets.SocketException;
}
