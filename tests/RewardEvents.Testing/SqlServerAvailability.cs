using RewardEvents.Testing.Internal;

namespace RewardEvents.Testing;

/// <summary>
/// Whether SQL Server tests can run here. SQL Server only comes as a container
/// (<see cref="SqlServerContainerFixture"/>); tests call <c>Assert.Skip(SqlServerAvailability.SkipReason)</c>
/// when this is not null, so a machine without Docker reports them skipped, not passed.
/// </summary>
public static class SqlServerAvailability
{
    /// <summary>Null when a Docker engine answers; otherwise why SQL Server tests cannot run.</summary>
    public static string? SkipReason => DockerEngine.IsAvailable
        ? null
        : "SQL Server needs a Docker engine (Testcontainers.MsSql); none answers on this machine.";

    public static bool IsAvailable => SkipReason is null;
}
