namespace RewardEvents.IntegrationTests.Infrastructure;

/// <summary>
/// Tests that restart servers or load the machine with several fleet processes. They run alone, after the parallel tests,
/// so no other test sees its connections dropped.
/// </summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class ServerRestartCollection;
