using System.Collections.Concurrent;
using RewardEvents.Persistence;
using RewardEvents.Webhooks;

namespace RewardEvents.Fleet.Workers;

/// <summary>Turns an endpoint's stored secrets into a signer, parsing each distinct set once.</summary>
internal static class EndpointSecrets
{
    private static readonly ConcurrentDictionary<string, WebhookSigner> Signers = new(StringComparer.Ordinal);

    public static WebhookSigner SignerFor(WebhookEndpoint endpoint) =>
        Signers.GetOrAdd(endpoint.Secrets, static secrets => new WebhookSigner(
            secrets.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(WebhookSecret.Parse).ToArray()));
}
