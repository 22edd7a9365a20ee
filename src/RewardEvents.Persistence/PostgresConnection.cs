using System.Data.Common;
using Npgsql;

namespace RewardEvents.Persistence;

/// <summary>The fleet's defaults for a PostgreSQL connection string; what the operator set wins.</summary>
internal static class PostgresConnection
{
    /// <summary>
    /// A pooled connection is handed out again without <c>DISCARD ALL</c>: the fleet keeps no session state
    /// (no temporary tables, session settings, advisory locks, LISTEN or prepared statements), and
    /// because EF Core opens and returns a connection around each query, the reset was about a quarter
    /// of every statement the database ran (1.5 per delivery). An open transaction is still rolled back
    /// when a connection goes back to the pool. <c>No Reset On Close=false</c> brings the reset back.
    /// </summary>
    public static string WithDefaults(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.Keys.Cast<string>().Any(key => string.Equals(key.Replace(" ", "", StringComparison.Ordinal), "NoResetOnClose", StringComparison.OrdinalIgnoreCase)))
        {
            return connectionString;
        }

        return new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true }.ConnectionString;
    }
}
