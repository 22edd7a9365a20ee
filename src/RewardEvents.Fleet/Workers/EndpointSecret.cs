namespace RewardEvents.Fleet.Workers;

/// <summary>One signing secret of an endpoint; a rotated-out one signs alongside the new one until it expires.</summary>
internal sealed record EndpointSecret(string Secret, DateTime? ExpiresAt)
{
    public bool IsActive(DateTime now) => ExpiresAt is null || ExpiresAt > now;
}
