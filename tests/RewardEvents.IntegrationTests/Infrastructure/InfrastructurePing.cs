namespace RewardEvents.IntegrationTests.Infrastructure;

/// <summary>A message that exists only to travel through the real broker in infrastructure tests.</summary>
public sealed record InfrastructurePing(Guid Id);
