using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RewardEvents.Fleet.Api;
using RewardEvents.Fleet.Messaging;
using RewardEvents.Fleet.Routing;
using RewardEvents.Fleet.Workers;
using RewardEvents.Persistence;
using RewardEvents.ServiceDefaults;

namespace RewardEvents.Fleet;

/// <summary>Wires the roles a host runs: each host's Program.cs is these two calls.</summary>
public static class FleetHostExtensions
{
    public static WebApplicationBuilder AddRewardEventsFleet(this WebApplicationBuilder builder, FleetRoles roles, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddServiceDefaults(serviceName);
        var services = builder.Services;
        var configuration = builder.Configuration;

        services.AddSingleton(TimeProvider.System);
        services.AddOptions<TransportOptions>().BindConfiguration(TransportOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section).ValidateDataAnnotations()
            .Validate(o => RetrySchedule.TryParse(o.RetrySchedule, out _, out _),
                "Delivery:RetrySchedule must be a comma-separated list of delays such as '5s,5m,30m' (units ms, s, m, h, d).")
            .Validate(o => o.AllowedSubnets.All(DestinationPolicy.IsValidSubnet),
                "Delivery:AllowedSubnets must be CIDR networks such as '10.20.0.0/16' or 'fd00:1::/64', with no bits set past the prefix.")
            .ValidateOnStart();
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.Period == TimeSpan.Zero || o.Period >= RetentionOptions.ShortestPeriod,
                "Retention:Period must be zero (keep every event) or at least 01:00:00 (one hour), e.g. '30.00:00:00' for 30 days.")
            .ValidateOnStart();
        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section)
            .Validate(o => o.ApiKeys.All(e => string.IsNullOrWhiteSpace(e) || ConfiguredApiKeys.TryParse(e, out _, out _, out _)),
                "Security:ApiKeys entries are 'key' (every scope) or 'key|scope,scope' with scopes among " + string.Join(", ", ApiScopes.All) + ".")
            .ValidateOnStart();

        services.AddSingleton<IHostResolver, DnsHostResolver>();
        services.AddSingleton<DestinationPolicy>();
        services.AddRewardEventsDatabase(configuration);
        AddSecretProtection(services, configuration);
        // First of all hosted services, ahead even of those the web host registers before us (Data
        // Protection's key-ring warm-up reads its table from this database).
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, DatabaseMigrator>());
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        if (configuration.GetSection(TransportOptions.Section).Get<TransportOptions>()?.Kind is null or TransportKind.RabbitMq)
        {
            // Before the bus starts: see its remarks.
            services.AddHostedService(sp => ActivatorUtilities.CreateInstance<FleetTopologyDeclarer>(sp, roles));
            services.AddSingleton<IQueueProbe, RabbitMqQueueProbe>();
            services.AddSingleton<BrokerReconnections>();
            services.AddSingleton<ReceiveEndpointWatchdog>();
            if ((roles & (FleetRoles.Router | FleetRoles.Worker)) != 0)
            {
                services.AddHostedService(sp => sp.GetRequiredService<ReceiveEndpointWatchdog>());
            }
        }

        if (roles.HasFlag(FleetRoles.Worker))
        {
            // Registered ahead of the bus, so it stops after it: consumers still finishing wait on it.
            services.AddSingleton<DeliveredWriter>();
            services.AddHostedService(sp => sp.GetRequiredService<DeliveredWriter>());
            services.AddSingleton<FirstAttemptClaims>();
            services.AddHostedService(sp => sp.GetRequiredService<FirstAttemptClaims>());
            services.AddSingleton<AttemptTally>();
            services.AddHostedService(sp => sp.GetRequiredService<AttemptTally>());
        }

        if (roles.HasFlag(FleetRoles.Router))
        {
            // Ahead of the bus, as the worker's: events still being routed when it stops wait on them.
            services.AddRoutingGroupCommit();
            services.AddSingleton<RoutingProbeReads>();
            services.AddHostedService(sp => sp.GetRequiredService<RoutingProbeReads>());
        }

        services.AddFleetMessaging(configuration, roles);

        if (roles.HasFlag(FleetRoles.Worker))
        {
            services.AddSingleton<WorkerIdentity>();
            services.AddScoped<IDeliveryProcessor, DeliveryProcessor>();
            services.AddSingleton<DeliveryTurns>();
            services.AddScoped<EndpointHealth>();
            services.AddScoped<LazyDbContext>();
            services.AddHttpClient<WebhookSender>(c => c.Timeout = Timeout.InfiniteTimeSpan)
                .ConfigurePrimaryHttpMessageHandler(sp => WebhookHttpHandler.Create(sp.GetRequiredService<DestinationPolicy>()))
                .RemoveAllLoggers();
            services.AddHostedService<DeliveryScheduler>();
            if (configuration.GetSection(TransportOptions.Section).Get<TransportOptions>()?.Kind is null or TransportKind.RabbitMq)
            {
                services.AddSingleton<PartitionOwnership>();
                services.AddHostedService(sp => sp.GetRequiredService<PartitionOwnership>());
            }
        }

        if (roles.HasFlag(FleetRoles.Api))
        {
            EnsureApiKey(builder);
            services.AddProblemDetails();
            services.AddSingleton<ConfiguredApiKeys>();
            services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
            services.AddSingleton<IAuthorizationHandler, ScopeRequirement>();
            services.AddSingleton<IAuthorizationMiddlewareResultHandler, ApiAuthorizationResultHandler>();
            services.AddAuthorizationBuilder().AddPolicy(ScopeRequirement.Policy, p => p
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .AddRequirements(new ScopeRequirement()));
            services.AddApiRateLimiting();
            services.AddApiDocumentation();
            services.ConfigureHttpJsonOptions(o =>
            {
                o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
                o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
            });
        }

        return builder;
    }

    public static WebApplication MapRewardEventsFleet(this WebApplication app, FleetRoles roles)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapDefaultEndpoints();
        if (roles.HasFlag(FleetRoles.Api))
        {
            app.UseExceptionHandler();
            app.UseStatusCodePages();
            // Authentication before the rate limiter, which partitions by key; authorization after it, so
            // requests with bad keys are limited too.
            app.UseAuthentication();
            app.UseRateLimiter();
            app.UseAuthorization();
            app.MapApiDocumentation();
            var v1 = app.MapGroup("/v1").RequireAuthorization(ScopeRequirement.Policy).RequireRateLimiting(ApiRateLimiting.Policy);
            EventsApi.Map(v1);
            EndpointsApi.Map(v1);
            EndpointStatsApi.Map(v1);
            EndpointTestApi.Map(v1);
            SecretRotationApi.Map(v1);
            DeliveriesApi.Map(v1);
            ApiKeysApi.Map(v1);
        }

        return app;
    }

    /// <summary>
    /// Endpoint secrets are encrypted at rest with Data Protection. Every host must read what any other
    /// sealed, so the key ring lives in the fleet's database by default, or in <c>DataProtection:KeysPath</c>
    /// (a directory every host mounts) when that is set.
    /// </summary>
    private static void AddSecretProtection(IServiceCollection services, IConfiguration configuration)
    {
        var protection = services.AddDataProtection().SetApplicationName("RewardEvents");
        var keysPath = configuration["DataProtection:KeysPath"];
        if (string.IsNullOrWhiteSpace(keysPath))
        {
            protection.PersistKeysToDbContext<RewardEventsDbContext>();
        }
        else
        {
            protection.PersistKeysToFileSystem(new DirectoryInfo(keysPath));
        }

        services.AddSingleton<EndpointSecrets>();
    }

    /// <summary>
    /// The API refuses to start without a key, except where <c>Security:GenerateKeyIfMissing</c> is on
    /// (the embedded Server's default): then it makes one and prints it once.
    /// </summary>
    private static void EnsureApiKey(WebApplicationBuilder builder)
    {
        // Keys created through the API live in the database, but a fresh installation needs one to create them with.
        var keys = builder.Configuration.GetSection("Security:ApiKeys").Get<string[]>() ?? [];
        if (keys.Any(k => !string.IsNullOrWhiteSpace(k)))
        {
            return;
        }

        if (!builder.Configuration.GetValue<bool>("Security:GenerateKeyIfMissing"))
        {
            throw new OptionsValidationException("Security:ApiKeys", typeof(SecurityOptions),
                ["Security:ApiKeys must hold at least one API key (environment Security__ApiKeys__0)."]);
        }

        var key = ApiKeySecret.Generate();
        builder.Configuration["Security:ApiKeys:0"] = key;
        Console.WriteLine($"No API key configured; generated one for this run: {key}");
        Console.WriteLine($"Use it as: Authorization: Bearer {key}");
    }
}
