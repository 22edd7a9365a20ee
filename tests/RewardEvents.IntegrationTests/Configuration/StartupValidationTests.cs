using Microsoft.Extensions.Options;
using RewardEvents.Fleet;
using RewardEvents.IntegrationTests.Support;

namespace RewardEvents.IntegrationTests.Configuration;

/// <summary>A bad or missing setting stops the host at start with a message naming it.</summary>
public sealed class StartupValidationTests
{
    [Theory]
    [InlineData("Database:Provider", "Oracle", "Database:Provider")]
    [InlineData("ConnectionStrings:RewardEvents", "", "ConnectionStrings:RewardEvents")]
    [InlineData("Delivery:RetrySchedule", "5 parsecs", "Delivery:RetrySchedule")]
    [InlineData("Delivery:Partitions", "0", "Partitions")]
    [InlineData("Transport:Kind", "Carrier pigeon", "Transport:Kind")]
    [InlineData("Security:ApiKeys:0", "", "Security:ApiKeys")]
    [InlineData("Security:ApiKeys:0", "some-key|events:fly", "Security:ApiKeys")]
    [InlineData("Security:RateLimit:PermitsPerSecond", "0", "PermitsPerSecond")]
    [InlineData("Delivery:AllowedSubnets:0", "10.0.0.1/8", "Delivery:AllowedSubnets")]
    [InlineData("Retention:Period", "00:10:00", "Retention:Period")]
    [InlineData("Retention:Period", "-1.00:00:00", "Period")]
    [InlineData("Retention:BatchSize", "0", "BatchSize")]
    public async Task A_bad_setting_stops_the_host_with_a_message_naming_it(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Transport:Kind"] = "InMemory",
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:RewardEvents"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"rewardevents-bad-{Guid.NewGuid():N}.db")}",
            // Only the embedded Server makes up a key when none is configured; a production host refuses to start.
            ["Security:GenerateKeyIfMissing"] = "false",
            [key] = value,
        };
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var host = await FleetHost.StartAsync(FleetRoles.All, settings);
        });
        Assert.Contains(named, Flatten(ex), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RabbitMQ_transport_without_a_broker_address_stops_with_a_message_naming_it()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var host = await FleetHost.StartAsync(FleetRoles.Worker, new Dictionary<string, string?>
            {
                ["Transport:Kind"] = "RabbitMq",
                ["Database:Provider"] = "Sqlite",
                ["ConnectionStrings:RewardEvents"] = "Data Source=:memory:",
            });
        });
        Assert.Contains("ConnectionStrings:RabbitMq", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_server_started_from_another_directory_reads_its_own_appsettings()
    {
        // Started from a directory of its own, as a service unit without a working directory would start it.
        // Only the database file is given here: that it is SQLite and the transport in-memory comes from
        // the shipped appsettings.json alone (the defaults without it are SQL Server and RabbitMQ).
        var work = Directory.CreateTempSubdirectory("rewardevents-elsewhere-").FullName;
        var database = Path.Combine(work, "server.db");
        try
        {
            await using (var server = FleetProcess.Start("Server", new Dictionary<string, string?>
            {
                ["ConnectionStrings:RewardEvents"] = $"Data Source={database}",
            }, work, startIn: work))
            {
                await server.WaitReadyAsync(TimeSpan.FromSeconds(60));
            }

            Assert.True(File.Exists(database));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string Flatten(Exception ex) => ex.InnerException is null ? ex.Message : ex.Message + " | " + Flatten(ex.InnerException);
}
