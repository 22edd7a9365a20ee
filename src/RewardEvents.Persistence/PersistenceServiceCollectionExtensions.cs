using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace RewardEvents.Persistence;

public static class PersistenceServiceCollectionExtensions
{
    /// <summary>Contexts kept for reuse: about as many as a worker runs at once (partitions × concurrency per partition).</summary>
    private const int PoolSize = 128;

    /// <summary>
    /// Registers <see cref="RewardEventsDbContext"/> on the configured provider, validated at start:
    /// an unknown provider or a missing <c>ConnectionStrings:RewardEvents</c> stops the host with a
    /// message naming the setting.
    /// </summary>
    public static IServiceCollection AddRewardEventsDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var options = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var connectionString = configuration.GetConnectionString("RewardEvents");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new OptionsValidationException("ConnectionStrings:RewardEvents", typeof(DatabaseOptions),
                ["ConnectionStrings:RewardEvents is required: the connection string of the fleet's database " +
                 $"(Database:Provider is {options.Provider})."]);
        }

        // Pooled contexts: creating a context's internal services per message was a measurable share of the
        // router's and the workers' CPU (see the README's benchmark). Nothing keeps state on a context
        // beyond a unit of work, which is what pooling requires.
        // No provider-level retrying execution strategy: it forbids explicit transactions, and every
        // consumer already retries whole messages with a fresh scope, which is the safer unit to repeat.
        switch (options.Provider)
        {
            case DatabaseProvider.Sqlite:
                services.AddDbContextPool<RewardEventsDbContext, SqliteRewardEventsDbContext>(o => o.UseSqlite(connectionString), PoolSize);
                break;
            case DatabaseProvider.Postgres:
                var postgres = PostgresConnection.WithDefaults(connectionString);
                services.AddDbContextPool<RewardEventsDbContext, PostgresRewardEventsDbContext>(o =>
                {
                    o.UseNpgsql(postgres);
                    if (PostgresConnection.PreparesStatements(postgres))
                    {
                        o.AddInterceptors(new FailedConnectionRetirement());
                    }
                }, PoolSize);
                break;
            case DatabaseProvider.SqlServer:
                services.AddDbContextPool<RewardEventsDbContext, SqlServerRewardEventsDbContext>(o => o.UseSqlServer(connectionString), PoolSize);
                break;
            default:
                throw new OptionsValidationException(DatabaseOptions.Section, typeof(DatabaseOptions),
                    [$"Database:Provider '{options.Provider}' is not one of SqlServer, Postgres, Sqlite."]);
        }

        return services;
    }

    /// <summary>
    /// The router's group commit of new events' routings on PostgreSQL (<see cref="RoutingGroupCommit"/>): the events
    /// it routes at once are written in one statement. A hosted service; register it ahead of the bus, so that it stops
    /// after it and consumers still finishing can wait on it. Other providers never use it.
    /// </summary>
    public static IServiceCollection AddRoutingGroupCommit(this IServiceCollection services)
    {
        services.AddSingleton<RoutingGroupCommit>();
        services.AddHostedService(sp => sp.GetRequiredService<RoutingGroupCommit>());
        return services;
    }
}
