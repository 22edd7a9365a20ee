namespace RewardEvents.Fleet;

/// <summary>The roles a host can run; the embedded Server runs all of them.</summary>
[Flags]
public enum FleetRoles
{
    None = 0,
    Api = 1,
    Router = 2,
    Worker = 4,
    All = Api | Router | Worker,
}
