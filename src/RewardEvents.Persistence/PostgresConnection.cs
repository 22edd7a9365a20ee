using System.Data.Common;
using Npgsql;

namespace RewardEvents.Persistence;

/// <summary>The fleet's defaults for a PostgreSQL connection string; what the operator set wins.</summary>
internal static class PostgresConnection
{
    /// <summary>
    /// Statements are prepared on the server once they have run twice on a connection (up to 64 per
    /// connection): the fleet runs a few dozen statement shapes over and over, and parsing and planning
    /// each afresh was about a quarter of the database's CPU per delivery (see the README's benchmark).
    /// <c>Max Auto Prepare=0</c> in the connection string turns it off (e.g. behind a pooler that
    /// cannot keep prepared statements).
    /// </summary>
    public static string WithDefaults(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.Keys.Cast<string>().Any(key => Normalized(key) is "maxautoprepare" or "autoprepareminusages"))
        {
            return connectionString;
        }

        return new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 64, AutoPrepareMinUsages = 2 }.ConnectionString;
    }

    private static string Normalized(string key) => key.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant();
}
