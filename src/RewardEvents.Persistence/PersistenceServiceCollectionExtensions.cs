using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace RewardEvents.Persistence;

public static class PersistenceServiceCollectionExtensions
{
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

        // No provider-level retrying execution strategy: it forbids explicit transactions, and every
        // consumer already retries whole messages with a fresh scope, which is the safer unit to repeat.
        switch (options.Provider)
        {
            case DatabaseProvider.Sqlite:
                services.AddDbContext<RewardEventsDbContext, SqliteRewardEventsDbContext>(o => o.UseSqlite(connectionString));
                break;
            case DatabaseProvider.Postgres:
                services.AddDbContext<RewardEventsDbContext, PostgresRewardEventsDbContext>(o => o.UseNpgsql(connectionString));
                break;
            case DatabaseProvider.SqlServer:
                services.AddDbContext<RewardEventsDbContext, SqlServerRewardEventsDbContext>(o => o.UseSqlServer(connectionString));
                break;
            default:
                throw new OptionsValidationException(DatabaseOptions.Section, typeof(DatabaseOptions),
                    [$"Database:Provider '{options.Provider}' is not one of SqlServer, Postgres, Sqlite."]);
        }

        return services;
    }
}
