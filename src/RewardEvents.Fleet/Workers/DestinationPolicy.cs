using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace RewardEvents.Fleet.Workers;

/// <summary>
/// Where webhooks may go, from <c>Delivery:RequireHttps</c>, <c>Delivery:AllowPrivateNetworks</c> and
/// <c>Delivery:AllowedSubnets</c>. Checked when an endpoint is saved (<see cref="CheckAsync"/>) and again on
/// every connection (<see cref="WebhookHttpHandler"/>), which connects to exactly the addresses it checked.
/// </summary>
public sealed class DestinationPolicy
{
    private readonly IPNetwork[] _allowedSubnets;

    public DestinationPolicy(IOptions<DeliveryOptions> options, IHostResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(options);
        RequireHttps = options.Value.RequireHttps;
        AllowPrivateNetworks = options.Value.AllowPrivateNetworks;
        _allowedSubnets = options.Value.AllowedSubnets.Select(s => IPNetwork.Parse(s)).ToArray();
        Resolver = resolver;
    }

    public bool RequireHttps { get; }

    public bool AllowPrivateNetworks { get; }

    public IHostResolver Resolver { get; }

    /// <summary>A CIDR network with no address bits set past its prefix (<c>10.20.0.0/16</c>, not <c>10.20.0.1/16</c>).</summary>
    public static bool IsValidSubnet(string? cidr)
    {
        var slash = cidr?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        return slash > 0 && IPNetwork.TryParse(cidr, out var network)
            && IPAddress.TryParse(cidr.AsSpan(0, slash), out var address) && network.BaseAddress.Equals(address);
    }

    /// <summary>Why an address is refused, or null when webhooks may connect to it.</summary>
    public string? Refusal(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var v4 = DestinationGuard.EmbeddedIPv4(address);
        if (_allowedSubnets.Any(n => n.Contains(address) || (v4 is not null && n.Contains(v4))))
        {
            return null;
        }

        if (DestinationGuard.IsCloudMetadata(address))
        {
            return $"{address} is a cloud metadata address";
        }

        return AllowPrivateNetworks || DestinationGuard.IsPublic(address) ? null : $"{address} is a private or reserved address";
    }

    /// <summary>Why a URL is refused as an endpoint, as a sentence for the API's answer; null when it is fine.</summary>
    public async Task<string?> CheckAsync(Uri url, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (RequireHttps && url.Scheme != Uri.UriSchemeHttps)
        {
            return "Must be an https URL: this fleet delivers over https only (Delivery:RequireHttps).";
        }

        IPAddress[] addresses;
        if (IPAddress.TryParse(url.IdnHost, out var literal))
        {
            addresses = [literal];
        }
        else if (AllowPrivateNetworks)
        {
            return null; // development: names need not resolve yet; metadata addresses are still refused at connect time
        }
        else
        {
            try
            {
                addresses = await Resolver.ResolveAsync(url.IdnHost, cancellationToken);
            }
            catch (SocketException)
            {
                addresses = [];
            }

            if (addresses.Length == 0)
            {
                return $"Endpoints must be on the public internet: the host '{url.Host}' does not resolve.";
            }
        }

        foreach (var address in addresses)
        {
            if (Refusal(address) is { } refusal)
            {
                return $"Endpoints must be on the public internet: '{url.Host}' resolves to {refusal}.";
            }
        }

        return null;
    }
}
