using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Persistence;

/// <summary>
/// The fleet prepares its repeated statements on PostgreSQL by default (parsing and planning them on
/// every execution was a large share of the database's CPU), and an operator's own setting wins.
/// </summary>
public sealed class PreparedStatementTests(PostgresServer postgres)
{
    [Fact]
    public async Task A_statement_run_repeatedly_is_prepared_on_the_server_by_default()
    {
        Assert.True(await PreparedAfterRepeatedQueryAsync(await postgres.CreateDatabaseAsync("prepared")) > 0);
    }

    [Fact]
    public async Task An_operators_max_auto_prepare_setting_wins()
    {
        Assert.Equal(0, await PreparedAfterRepeatedQueryAsync(await postgres.CreateDatabaseAsync("unprepared") + ";Max Auto Prepare=0"));
    }

    private static async Task<long> PreparedAfterRepeatedQueryAsync(string connectionString)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:RewardEvents"] = connectionString,
        }).Build();
        await using var services = new ServiceCollection().AddRewardEventsDatabase(configuration).BuildServiceProvider();
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
        await db.Database.MigrateAsync(cancellationToken);

        await db.Database.OpenConnectionAsync(cancellationToken);
        var id = Guid.NewGuid();
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(await db.Deliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken));
        }

        return await db.Database.SqlQueryRaw<long>("SELECT count(*) AS \"Value\" FROM pg_prepared_statements").SingleAsync(cancellationToken);
    }
}
