using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using RewardEvents.Persistence;
using RewardEvents.Webhooks;

namespace RewardEvents.Fleet.Workers;

/// <summary>
/// Endpoint secrets at rest: sealed with ASP.NET Core Data Protection (key ring shared by every host)
/// under a purpose of their own. Rows written before encryption hold plain <c>whsec_…</c> strings and
/// are read as they are; <see cref="IsSealed"/> tells them apart so they can be sealed in place.
/// </summary>
internal sealed class EndpointSecrets(IDataProtectionProvider protection)
{
    private const string Purpose = "RewardEvents.EndpointSecrets.v1";
    private const string SealedPrefix = "dp1:";

    private readonly IDataProtector _protector = protection.CreateProtector(Purpose);

    // Keyed by the sealed text: a row's secrets are unsealed once per process, not once per attempt.
    private readonly ConcurrentDictionary<string, IReadOnlyList<EndpointSecret>> _opened = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, WebhookSigner> _signers = new(StringComparer.Ordinal);

    public static bool IsSealed(string stored) => stored.StartsWith(SealedPrefix, StringComparison.Ordinal);

    public string Seal(IReadOnlyList<EndpointSecret> secrets) =>
        SealedPrefix + _protector.Protect(JsonSerializer.Serialize(secrets));

    public IReadOnlyList<EndpointSecret> Open(string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return _opened.GetOrAdd(stored, text => IsSealed(text)
            ? JsonSerializer.Deserialize<List<EndpointSecret>>(_protector.Unprotect(text[SealedPrefix.Length..]))!
            : text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => new EndpointSecret(s, null)).ToList());
    }

    /// <summary>A signer for the endpoint's secrets still active now, the current one first.</summary>
    public WebhookSigner SignerFor(WebhookEndpoint endpoint, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var active = Open(endpoint.Secrets).Where(s => s.IsActive(now)).ToList();
        if (active.Count == 0)
        {
            // Cannot happen through the API (the current secret never expires); sign with the newest rather than not at all.
            active = [Open(endpoint.Secrets)[0]];
        }

        var key = endpoint.Secrets + "#" + active.Count;
        return _signers.GetOrAdd(key, _ => new WebhookSigner(active.Select(s => WebhookSecret.Parse(s.Secret)).ToArray()));
    }
}
