using Microsoft.AspNetCore.Builder;

namespace RewardEvents.Fleet;

/// <summary>How each host creates its builder.</summary>
public static class FleetApplication
{
    /// <summary>
    /// A builder whose content root, where <c>appsettings.json</c> is read from, is the host's own directory
    /// rather than the working directory, unless <c>--contentRoot</c> or <c>ASPNETCORE_CONTENTROOT</c> /
    /// <c>DOTNET_CONTENTROOT</c> names one. Started as <c>dotnet /opt/rewardevents/RewardEvents.Server.dll</c>
    /// from elsewhere (a service unit without a working directory, say), a host otherwise ran without its
    /// shipped settings: the embedded server refused to start for want of a connection string, and the
    /// others logged every SQL command.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var explicitRoot = args.Any(a => a.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"));
        return WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = explicitRoot ? null : AppContext.BaseDirectory,
        });
    }
}
