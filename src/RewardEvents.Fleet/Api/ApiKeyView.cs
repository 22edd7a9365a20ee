using RewardEvents.Persistence;

namespace RewardEvents.Fleet.Api;

/// <summary>An API key as the key-management API shows it; <see cref="Key"/> only in the answer that created it.</summary>
internal sealed record ApiKeyView(
    string Id, string Name, IReadOnlyList<string> Scopes, DateTime CreatedAt, DateTime? RevokedAt, DateTime? LastUsedAt, string? Key)
{
    public static ApiKeyView From(ApiKey k, string? key = null) => new(
        k.Id, k.Name, k.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries), k.CreatedAt, k.RevokedAt, k.LastUsedAt, key);
}
