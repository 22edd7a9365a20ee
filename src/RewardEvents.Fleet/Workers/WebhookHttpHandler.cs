using System.Net;
using System.Net.Sockets;

namespace RewardEvents.Fleet.Workers;

/// <summary>The pooled connection handler for outbound webhooks, with the private-network guard at connect time.</summary>
internal static class WebhookHttpHandler
{
    public static SocketsHttpHandler Create(bool allowPrivateNetworks) => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        MaxConnectionsPerServer = 256,
        AllowAutoRedirect = false, // a redirect could lead into a private network; receivers must give the final URL
        UseCookies = false,
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ConnectCallback = async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host, out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(host, cancellationToken);
            if (!allowPrivateNetworks && addresses.FirstOrDefault(a => !DestinationGuard.IsPublic(a)) is { } blocked)
            {
                throw new DestinationBlockedException($"'{host}' resolves to {blocked}, a private or reserved address");
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
