namespace RewardEvents.Persistence;

/// <summary>
/// An API key created through the key-management API. Only a hash of the key is kept: the key itself is
/// shown once, when it is created, and cannot be read back.
/// </summary>
public sealed class ApiKey
{
    public required string Id { get; init; }
    public required string Name { get; init; }

    /// <summary>Lower-case hex SHA-256 of the key.</summary>
    public required string Hash { get; init; }

    /// <summary>Granted scopes, separated by spaces (<c>events:write endpoints:read</c>).</summary>
    public required string Scopes { get; init; }

    public DateTime CreatedAt { get; init; }
    public DateTime? RevokedAt { get; set; }

    /// <summary>Roughly when the key was last used (updated at most once a minute).</summary>
    public DateTime? LastUsedAt { get; set; }
}
