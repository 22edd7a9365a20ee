using Microsoft.EntityFrameworkCore;
using RewardEvents.Fleet.Routing;
using RewardEvents.Fleet.Workers;
using RewardEvents.Persistence;

namespace RewardEvents.IntegrationTests.Persistence;

/// <summary>
/// The workers' batch statements are written so that only the batch's keys are open to an index (a CASE,
/// scalar subqueries, an OR of NOT EXISTS), and the router reads its stamp and counter with scalar subqueries.
/// SQLite and PostgreSQL run them in the end-to-end tests; SQL Server runs them only where Docker can host
/// it, so here at least EF Core must translate them for it.
/// </summary>
public sealed class BatchQueryTranslationTests
{
    [Fact]
    public void The_claim_and_finish_queries_translate_for_SQL_Server()
    {
        using var db = new SqlServerRewardEventsDbContext(
            new DbContextOptionsBuilder<SqlServerRewardEventsDbContext>().UseSqlServer("Server=unused").Options);
        List<Guid> ids = [Guid.NewGuid(), Guid.NewGuid()];

        var claim = FirstAttemptClaims.Claimable(db, ids).ToQueryString();
        var finish = DeliveredWriter.Finishable(db, ids).ToQueryString();

        Assert.Contains("CASE", claim, StringComparison.Ordinal);
        Assert.Contains("NOT EXISTS", claim, StringComparison.Ordinal);
        Assert.Contains("CASE", finish, StringComparison.Ordinal);
    }

    [Fact]
    public void The_routers_probe_of_stamp_and_counter_translates_for_SQL_Server()
    {
        using var db = new SqlServerRewardEventsDbContext(
            new DbContextOptionsBuilder<SqlServerRewardEventsDbContext>().UseSqlServer("Server=unused").Options);

        var probe = RouteEventActivity<RewardEvents.Contracts.RewardRedeemed>.Probe(db, "user_1").ToQueryString();

        Assert.Contains("[endpoints_stamp]", probe, StringComparison.Ordinal);
        Assert.Contains("[user_sequences]", probe, StringComparison.Ordinal);
    }
}
