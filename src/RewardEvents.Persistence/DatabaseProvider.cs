namespace RewardEvents.Persistence;

/// <summary>The database the fleet keeps its state in.</summary>
public enum DatabaseProvider
{
    SqlServer,
    Postgres,
    Sqlite,
}
