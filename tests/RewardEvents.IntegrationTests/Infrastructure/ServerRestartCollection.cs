namespace RewardEvents.IntegrationTests.Infrastructure;

/// <summary>
/// Tests that restart the shared broker or database. They run alone, after the parallel tests,
/// so no other test sees its connections dropped.
/// </summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class ServerRestartCollection;
