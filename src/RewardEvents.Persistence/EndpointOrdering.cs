namespace RewardEvents.Persistence;

/// <summary>Whether an endpoint receives one user's deliveries strictly in order.</summary>
public enum EndpointOrdering
{
    PerUser = 0,
    None = 1,
}
