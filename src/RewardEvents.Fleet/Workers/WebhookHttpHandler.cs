using System.Net;
using System.Net.Sockets;

namespace RewardEvents.Fleet.Workers;

/// <summary>The pooled connection handler for outbound webhooks, enforcing the destination policy at connect time.</summary>
internal static class WebhookHttpHandler
{
    // TLS: the platform's certificate validation applies and no RemoteCertificateValidationCallback is ever
    // set, so an invalid certificate fails the attempt (classified "tls") instead of being bypassed.
    public static SocketsHttpHandler Create(DestinationPolicy policy) => new()
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
            if (policy.RequireHttps && context.InitialRequestMessage.RequestUri?.Scheme != Uri.UriSchemeHttps)
            {
                throw new DestinationBlockedException("plain http is refused: this fleet delivers over https only (Delivery:RequireHttps)");
            }

            // Resolve once, check every address, and connect to those very addresses: a DNS answer that
            // changes between the check and the connection (rebinding) has nothing left to change.
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host, out var literal)
                ? [literal]
                : await policy.Resolver.ResolveAsync(host, cancellationToken);
            foreach (var address in addresses)
            {
                if (policy.Refusal(address) is { } refusal)
                {
                    throw new DestinationBlockedException($"'{host}' resolves to {refusal}");
                }
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
