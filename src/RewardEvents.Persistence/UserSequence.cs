namespace RewardEvents.Persistence;

/// <summary>The last sequence number the router gave one user's events.</summary>
public sealed class UserSequence
{
    public required string UserId { get; init; }
    public long LastSequence { get; set; }
    public int Version { get; set; }
}
