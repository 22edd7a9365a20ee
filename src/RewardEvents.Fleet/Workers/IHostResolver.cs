using System.Net;

namespace RewardEvents.Fleet.Workers;

/// <summary>Resolves a host name to addresses; a seam so tests can make DNS answer differently each time.</summary>
public interface IHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}
