using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace RewardEvents.UnitTests.Sagas;

public sealed class SagaModelBuilderExtensionsTests : IAsyncLifetime
{
    readonly string _databasePath = Path.Combine(Path.GetTempPath(), $"saga-{Guid.NewGuid():N}.db");

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    TicketDbContext NewContext() => new(TicketSagaHost.OptionsFor(_databasePath));

    public async ValueTask InitializeAsync()
    {
        await using var db = NewContext();
        await db.Database.EnsureCreatedAsync(Ct);
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        File.Delete(_databasePath);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public void The_saga_is_keyed_by_a_client_assigned_correlation_id_and_versioned_by_a_concurrency_token()
    {
        using var db = NewContext();
        var entity = db.Model.FindEntityType(typeof(TicketState))!;

        var key = Assert.Single(entity.FindPrimaryKey()!.Properties);
        Assert.Equal(nameof(TicketState.CorrelationId), key.Name);
        Assert.Equal(ValueGenerated.Never, key.ValueGenerated);
        Assert.True(entity.FindProperty(nameof(TicketState.Version))!.IsConcurrencyToken);
    }

    [Fact]
    public async Task A_stale_update_raises_DbUpdateConcurrencyException()
    {
        var id = Guid.NewGuid();
        await using (var db = NewContext())
        {
            db.Tickets.Add(new TicketState { CorrelationId = id, CurrentState = "Open", Version = 1 });
            await db.SaveChangesAsync(Ct);
        }

        await using var first = NewContext();
        await using var second = NewContext();
        var fresh = await first.Tickets.SingleAsync(x => x.CorrelationId == id, Ct);
        var stale = await second.Tickets.SingleAsync(x => x.CorrelationId == id, Ct);

        // What the repository's Update does: bump the version, then save.
        fresh.Assignee = "ada";
        fresh.Version++;
        await first.SaveChangesAsync(Ct);

        stale.Assignee = "grace";
        stale.Version++;
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => second.SaveChangesAsync(Ct));
    }
}
