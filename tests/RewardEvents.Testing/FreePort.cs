using System.Net;
using System.Net.Sockets;

namespace RewardEvents.Testing;

/// <summary>Hands out TCP ports on 127.0.0.1 that nothing listens on right now.</summary>
public static class FreePort
{
    // The OS may hand the same ephemeral port out again once our probe socket is closed, so
    // ports already given out in this process are remembered and never returned twice.
    private static readonly HashSet<int> Issued = [];
    private static readonly Lock Gate = new();

    /// <summary>A port that was free a moment ago and has not been returned before in this process.</summary>
    public static int Next()
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (Issued.Add(port))
                {
                    return port;
                }
            }

            throw new InvalidOperationException("No free TCP port found on 127.0.0.1 after 100 attempts.");
        }
    }
}
