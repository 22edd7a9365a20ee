using Microsoft.Extensions.Logging;
using RewardEvents.Fleet;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Api;

/// <summary>One embedded server (in-memory transport, SQLite file) shared by a test class.</summary>
public class EmbeddedServerFixture : IAsyncLifetime
{
    /// <summary>The database the server uses; a derived fixture may choose another.</summary>
    protected virtual Task<IDictionary<string, string?>> DatabaseSettingsAsync() =>
        Task.FromResult<IDictionary<string, string?>>(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:RewardEvents"] = $"Data Source={_file}",
        });

    private readonly string _file = Path.Combine(Path.GetTempPath(), $"rewardevents-api-{Guid.NewGuid():N}.db");

    public FleetHost Server { get; private set; } = null!;

    /// <summary>Extra settings for a derived fixture.</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    /// <summary>Extra logging for a derived fixture.</summary>
    protected virtual void ConfigureLogging(ILoggingBuilder logging)
    {
    }

    public async ValueTask InitializeAsync()
    {
        var settings = new Dictionary<string, string?>(Settings) { ["Transport:Kind"] = "InMemory" };
        foreach (var (key, value) in await DatabaseSettingsAsync())
        {
            settings[key] = value;
        }

        Server = await FleetHost.StartAsync(FleetRoles.All, settings, ConfigureLogging);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var path in new[] { _file, _file + "-wal", _file + "-shm" })
        {
            File.Delete(path);
        }
    }
}

/// <summary>The embedded server on PostgreSQL (a fresh database on the shared local server) instead of SQLite.</summary>
public sealed class PostgresEmbeddedServerFixture(PostgresServer postgres) : EmbeddedServerFixture
{
    protected override async Task<IDictionary<string, string?>> DatabaseSettingsAsync() => new Dictionary<string, string?>
    {
        ["Database:Provider"] = "Postgres",
        ["ConnectionStrings:RewardEvents"] = await postgres.CreateDatabaseAsync("embedded"),
    };
}
