using System.Data.Common;
using Npgsql;

namespace RewardEvents.Persistence;

/// <summary>The fleet's defaults for a PostgreSQL connection string; what the operator set wins.</summary>
internal static class PostgresConnection
{
    /// <summary>
    /// Statements Npgsql prepares on the server per connection, once one has run five times (its default): the
    /// fleet runs a few dozen distinct statements, and parsing and planning each afresh was the largest share
    /// of the database's CPU at a moderate rate. <c>Max Auto Prepare=0</c> turns it off.
    /// </summary>
    public const int MaxAutoPrepare = 64;

    /// <summary>
    /// A pooled connection is handed out again without <c>DISCARD ALL</c>: the fleet keeps no session state
    /// (no temporary tables, session settings, advisory locks or LISTEN; the prepared statements are Npgsql's own, which it tracks), and
    /// because EF Core opens and returns a connection around each query, the reset was about a quarter
    /// of every statement the database ran (1.5 per delivery). An open transaction is still rolled back
    /// when a connection goes back to the pool. <c>No Reset On Close=false</c> brings the reset back.
    /// </summary>
    public static string WithDefaults(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Sets(given, "NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        if (!Sets(given, "MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = MaxAutoPrepare;
        }

        return builder.ConnectionString;
    }

    /// <summary>Whether Npgsql prepares statements on the server with this connection string.</summary>
    public static bool PreparesStatements(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).MaxAutoPrepare > 0;

    private static bool Sets(DbConnectionStringBuilder given, string key) =>
        given.Keys.Cast<string>().Any(k => string.Equals(k.Replace(" ", "", StringComparison.Ordinal), key, StringComparison.OrdinalIgnoreCase));
}
