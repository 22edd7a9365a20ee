using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Persistence;

/// <summary>
/// On PostgreSQL the fleet hands pooled connections out again without resetting the session (DISCARD ALL
/// was about a quarter of every statement the database ran); an unfinished transaction is still rolled
/// back, and an operator's own <c>No Reset On Close</c> setting wins. One physical connection throughout.
/// </summary>
public sealed class ConnectionResetTests(PostgresServer postgres)
{
    [Fact]
    public async Task A_returned_connection_is_not_reset_but_its_unfinished_transaction_is_rolled_back()
    {
        await using var services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "noreset", ";Maximum Pool Size=1");
        await SetApplicationNameAsync(services, "left-by-the-last-user");
        Assert.Equal("left-by-the-last-user", await ApplicationNameAsync(services));

        var cancellationToken = TestContext.Current.CancellationToken;
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            db.UserSequences.Add(new UserSequence { UserId = "never-committed", LastSequence = 1 });
            await db.SaveChangesAsync(cancellationToken);
        } // disposed without a commit

        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            Assert.False(await db.UserSequences.AnyAsync(u => u.UserId == "never-committed", cancellationToken));
        }
    }

    [Fact]
    public async Task An_operators_no_reset_on_close_setting_wins()
    {
        await using var services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "reset", ";Maximum Pool Size=1;No Reset On Close=false");
        await SetApplicationNameAsync(services, "left-by-the-last-user");
        Assert.NotEqual("left-by-the-last-user", await ApplicationNameAsync(services));
    }

    private static async Task SetApplicationNameAsync(ServiceProvider services, string name)
    {
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>().Database
            .ExecuteSqlAsync($"SELECT set_config('application_name', {name}, false)", TestContext.Current.CancellationToken);
    }

    private static async Task<string> ApplicationNameAsync(ServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>().Database
            .SqlQueryRaw<string>("SELECT current_setting('application_name') AS \"Value\"").SingleAsync(TestContext.Current.CancellationToken);
    }
}
