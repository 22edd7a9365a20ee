using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RewardEvents.Fleet;

namespace RewardEvents.IntegrationTests.Support;

/// <summary>
/// One fleet host (any mix of roles) running in this test process with its own container and its
/// own bus instance, bound to a free loopback port: several of them make a fleet.
/// </summary>
public sealed class FleetHost : IAsyncDisposable
{
    public const string ApiKey = "test-key-7f3a1c";

    private FleetHost(WebApplication app, string baseUrl)
    {
        App = app;
        BaseUrl = baseUrl;
    }

    public WebApplication App { get; }

    public string BaseUrl { get; }

    public IServiceProvider Services => App.Services;

    /// <param name="logging">Adds to the host's logging (which otherwise shows warnings and errors on the console).</param>
    /// <param name="services">Adds to the host's services after the fleet's own (e.g. a MassTransit observer).</param>
    public static async Task<FleetHost> StartAsync(
        FleetRoles roles, IDictionary<string, string?> settings, Action<ILoggingBuilder>? logging = null, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Security:ApiKeys:0"] = ApiKey,
            ["Delivery:AllowPrivateNetworks"] = "true",
            ["Delivery:SchedulerInterval"] = "00:00:00.200",
            ["Delivery:RetrySchedule"] = "1s,2s,3s",
            ["Delivery:Partitions"] = "4",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddFilter(level => level >= LogLevel.Warning).AddSimpleConsole();
        logging?.Invoke(builder.Logging);
        builder.AddRewardEventsFleet(roles, "rewardevents-test");
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapRewardEventsFleet(roles);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var host = new FleetHost(app, address);
        try
        {
            // Started is not ready: the bus connects and declares its topology in the background.
            using var probe = new HttpClient { BaseAddress = new Uri(address) };
            await Testing.Eventually.UntilAsync(async () =>
            {
                using var ready = await probe.GetAsync("/health/ready");
                return ready.IsSuccessStatusCode;
            }, TimeSpan.FromSeconds(60), $"{address} reports ready");
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    public HttpClient CreateClient()
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
