using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RewardEvents.IntegrationTests.Support;
using RewardEvents.Persistence;
using RewardEvents.Testing;

namespace RewardEvents.IntegrationTests.Persistence;

/// <summary>
/// On PostgreSQL the fleet lets Npgsql prepare its frequent statements on the server. Npgsql's bookkeeping of
/// them goes wrong on a connection where a statement failed inside a transaction (npgsql/npgsql#6391: the next
/// use of that statement fails with "Received unexpected backend message"), so a connection that saw a failure
/// is not handed out again. One physical connection at a time, each statement prepared on its first use.
/// </summary>
public sealed class PreparedStatementTests(PostgresServer postgres)
{
    [Fact]
    public async Task A_statement_that_failed_inside_a_transaction_runs_again_on_the_next_connection()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "prepfail", ";Maximum Pool Size=1;Auto Prepare Min Usages=1");
        var delivery = TestRows.Delivery("ep_prep", "u1", 1, DeliveryStatus.InFlight, DateTime.UtcNow);
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            db.Endpoints.Add(TestRows.Endpoint("ep_prep", DateTime.UtcNow));
            db.Deliveries.Add(delivery);
            await db.SaveChangesAsync(cancellationToken);
        }

        var backendBefore = await BackendAsync(services);

        // The attempt's insert (which reads its new id back) is prepared as it runs, and fails: the response
        // body is longer than its column.
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            db.Attempts.Add(Attempt(delivery.Id, 1, new string('x', 5000)));
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(cancellationToken));
            await transaction.RollbackAsync(cancellationToken);
        }

        // The same statement with a valid row, then read back.
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            db.Attempts.Add(Attempt(delivery.Id, 2, "ok"));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>();
            Assert.Equal(["ok"], await db.Attempts.Where(a => a.DeliveryId == delivery.Id).Select(a => a.ResponseBody).ToListAsync(cancellationToken));
        }

        Assert.NotEqual(backendBefore, await BackendAsync(services));
    }

    [Fact]
    public async Task Statements_are_prepared_on_the_server_unless_the_operator_says_otherwise()
    {
        await using (var services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "prepon", ";Maximum Pool Size=1;Auto Prepare Min Usages=1"))
        {
            await LastSequenceAsync(services, "anyone");
            await LastSequenceAsync(services, "anyone");
            Assert.Contains(await PreparedStatementsAsync(services), sql => sql.Contains("user_sequences", StringComparison.Ordinal));
        }

        await using (var services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "prepoff", ";Maximum Pool Size=1;Auto Prepare Min Usages=1;Max Auto Prepare=0"))
        {
            await LastSequenceAsync(services, "anyone");
            await LastSequenceAsync(services, "anyone");
            Assert.Empty(await PreparedStatementsAsync(services));
        }
    }

    [Fact]
    public async Task A_connection_without_failures_is_handed_out_again()
    {
        await using var services = await FleetDatabase.CreateMigratedPostgresAsync(postgres, "prepkeep", ";Maximum Pool Size=1");
        var backend = await BackendAsync(services);
        await LastSequenceAsync(services, "anyone");
        Assert.Equal(backend, await BackendAsync(services));
    }

    private static Attempt Attempt(Guid deliveryId, int number, string responseBody) => new()
    {
        DeliveryId = deliveryId, Number = number, StartedAt = DateTime.UtcNow, DurationMs = 3, StatusCode = 500, Succeeded = false, ResponseBody = responseBody,
    };

    private static async Task<long?> LastSequenceAsync(ServiceProvider services, string userId)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>().UserSequences
            .Where(u => u.UserId == userId).Select(u => (long?)u.LastSequence).FirstOrDefaultAsync(TestContext.Current.CancellationToken);
    }

    internal static async Task<int> BackendAsync(ServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>().Database
            .SqlQueryRaw<int>("SELECT pg_backend_pid() AS \"Value\"").SingleAsync(TestContext.Current.CancellationToken);
    }

    internal static async Task<List<string>> PreparedStatementsAsync(ServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RewardEventsDbContext>().Database
            .SqlQueryRaw<string>("SELECT statement AS \"Value\" FROM pg_prepared_statements WHERE from_sql = false").ToListAsync(TestContext.Current.CancellationToken);
    }
}
