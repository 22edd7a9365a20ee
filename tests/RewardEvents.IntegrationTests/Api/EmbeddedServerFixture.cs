using RewardEvents.Fleet;
using RewardEvents.IntegrationTests.Support;

namespace RewardEvents.IntegrationTests.Api;

/// <summary>One embedded server (in-memory transport, SQLite file) shared by a test class.</summary>
public class EmbeddedServerFixture : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"rewardevents-api-{Guid.NewGuid():N}.db");

    public FleetHost Server { get; private set; } = null!;

    /// <summary>Extra settings for a derived fixture.</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public async ValueTask InitializeAsync()
    {
        var settings = new Dictionary<string, string?>(Settings)
        {
            ["Transport:Kind"] = "InMemory",
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:RewardEvents"] = $"Data Source={_file}",
        };
        Server = await FleetHost.StartAsync(FleetRoles.All, settings);
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
