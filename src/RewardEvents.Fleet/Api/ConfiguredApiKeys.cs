using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace RewardEvents.Fleet.Api;

/// <summary>
/// The bootstrap keys from <c>Security:ApiKeys</c>. An entry is a bare key (every scope) or
/// <c>key|scope,scope</c> to limit it, e.g. <c>rk_abc|events:write</c>.
/// </summary>
internal sealed class ConfiguredApiKeys
{
    private readonly List<(string Id, byte[] Hash, IReadOnlyList<string> Scopes)> _keys = [];

    public ConfiguredApiKeys(IOptions<SecurityOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var index = 0;
        foreach (var entry in options.Value.ApiKeys)
        {
            if (TryParse(entry, out var key, out var scopes, out _))
            {
                _keys.Add(($"config_{index}", ApiKeySecret.Hash(key), scopes));
            }

            index++;
        }
    }

    /// <summary>Finds a configured key, comparing every hash in constant time so timing tells nothing.</summary>
    public (string Id, IReadOnlyList<string> Scopes)? Find(byte[] presentedHash)
    {
        (string, IReadOnlyList<string>)? found = null;
        foreach (var (id, hash, scopes) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, presentedHash))
            {
                found = (id, scopes);
            }
        }

        return found;
    }

    public static bool TryParse(string? entry, out string key, out IReadOnlyList<string> scopes, out string? error)
    {
        key = "";
        scopes = ApiScopes.All;
        error = null;
        if (string.IsNullOrWhiteSpace(entry))
        {
            return false;
        }

        var bar = entry.IndexOf('|', StringComparison.Ordinal);
        key = (bar < 0 ? entry : entry[..bar]).Trim();
        if (bar >= 0)
        {
            var listed = entry[(bar + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = listed.Where(s => !ApiScopes.IsKnown(s)).ToList();
            if (listed.Length == 0 || unknown.Count > 0)
            {
                error = $"Security:ApiKeys entries are 'key' or 'key|scope,scope' with scopes among {string.Join(", ", ApiScopes.All)}"
                    + (unknown.Count > 0 ? $"; unknown: {string.Join(", ", unknown)}" : "") + ".";
                return false;
            }

            scopes = listed.Distinct(StringComparer.Ordinal).ToList();
        }

        return key.Length > 0;
    }
}
