using RewardEvents.Fleet;
using RewardEvents.IntegrationTests.Support;

namespace RewardEvents.IntegrationTests.Pipeline;

/// <summary>The pipeline scenario on the embedded Server: in-memory transport and a SQLite file.</summary>
public sealed class EmbeddedServerTests : FleetScenario
{
    [Fact]
    public async Task Embedded_server_delivers_every_subscribed_event_signed_and_in_per_user_order()
    {
        var file = Path.Combine(Path.GetTempPath(), $"rewardevents-{Guid.NewGuid():N}.db");
        try
        {
            await using var server = await FleetHost.StartAsync(FleetRoles.All, new Dictionary<string, string?>
            {
                ["Transport:Kind"] = "InMemory",
                ["Database:Provider"] = "Sqlite",
                ["ConnectionStrings:RewardEvents"] = $"Data Source={file}",
            });
            using var api = server.CreateClient();
            await RunAsync(api, TimeSpan.FromSeconds(120));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var path in new[] { file, file + "-wal", file + "-shm" })
            {
                File.Delete(path);
            }
        }
    }
}
