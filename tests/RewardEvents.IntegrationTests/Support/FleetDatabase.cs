using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Support;

/// <summary>Opens the fleet's database from a test, to check what the fleet recorded.</summary>
public static class FleetDatabase
{
    public static RewardEventsDbContext OpenPostgres(string connectionString, params IInterceptor[] interceptors) =>
        new PostgresRewardEventsDbContext(new DbContextOptionsBuilder<PostgresRewardEventsDbContext>()
            .UseNpgsql(connectionString).AddInterceptors(interceptors).Options);

    /// <summary>A context of SQL Server's model and SQL that never connects: for migrations and query translation.</summary>
    public static RewardEventsDbContext UnconnectedSqlServer() =>
        new SqlServerRewardEventsDbContext(new DbContextOptionsBuilder<SqlServerRewardEventsDbContext>().UseSqlServer("Server=unused").Options);

    /// <summary>One unconnected context per provider (SQLite in memory, PostgreSQL, SQL Server); the caller disposes them.</summary>
    public static RewardEventsDbContext[] UnconnectedPerProvider() =>
    [
        new SqliteRewardEventsDbContext(new DbContextOptionsBuilder<SqliteRewardEventsDbContext>().UseSqlite("Data Source=:memory:").Options),
        OpenPostgres("Host=unused"),
        UnconnectedSqlServer(),
    ];

    /// <summary>A fresh PostgreSQL database with the fleet's migrations applied; its connection string.</summary>
    public static async Task<string> CreateMigratedPostgresDatabaseAsync(PostgresServer postgres, string name)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        var connectionString = await postgres.CreateDatabaseAsync(name);
        await using var db = OpenPostgres(connectionString);
        await db.Database.MigrateAsync(TestContext.Current.CancellationToken);
        return connectionString;
    }

    /// <summary>
    /// A fresh, migrated PostgreSQL database registered as the fleet registers its own (pooled contexts),
    /// for tests that run the fleet's database components in process.
    /// </summary>
    /// <param name="connectionOptions">Appended to the connection string, e.g. <c>;Maximum Pool Size=1</c>.</param>
    public static async Task<ServiceProvider> CreateMigratedPostgresAsync(PostgresServer postgres, string name, string connectionOptions = "")
    {
        ArgumentNullException.ThrowIfNull(postgres);
        return await CreateMigratedAsync("Postgres", await postgres.CreateDatabaseAsync(name) + connectionOptions);
    }

    /// <summary>The database at <paramref name="connectionString"/>, migrated and registered as the fleet registers its own.</summary>
    public static async Task<ServiceProvider> CreateMigratedAsync(string provider, string connectionString)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = provider,
            ["ConnectionStrings:RewardEvents"] = connectionString,
        }).Build();
        var services = new ServiceCollection().AddRewardEventsDatabase(configuration).BuildServiceProvider();
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>().Database.MigrateAsync();
        return services;
    }
}
