using System.ComponentModel.DataAnnotations;

namespace RewardEvents.Persistence;

/// <summary>Configuration section <c>Database</c>; the connection string is <c>ConnectionStrings:RewardEvents</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>SqlServer (production default), Postgres or Sqlite.</summary>
    [Required]
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.SqlServer;

    /// <summary>Apply pending migrations at start. Turn off where migrations run as a separate step.</summary>
    public bool MigrateOnStart { get; set; } = true;
}
