using System.Collections.Concurrent;

namespace RewardEvents.IntegrationTests.Infrastructure;

/// <summary>What <see cref="InfrastructurePingConsumer"/> saw, for the test to poll.</summary>
public sealed class ReceivedPings
{
    public ConcurrentDictionary<Guid, string?> ById { get; } = new();
}
