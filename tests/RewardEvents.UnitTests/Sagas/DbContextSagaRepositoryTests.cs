using Microsoft.EntityFrameworkCore;

namespace RewardEvents.UnitTests.Sagas;

public sealed class DbContextSagaRepositoryTests : IAsyncLifetime
{
    readonly Guid _id = Guid.NewGuid();
    TicketSagaHost _saga = null!;

    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _saga = await TicketSagaHost.Start(Ct);

    public ValueTask DisposeAsync() => _saga.DisposeAsync();

    [Fact]
    public async Task An_initial_event_creates_and_persists_the_saga_row()
    {
        await _saga.Bus.Publish(new TicketOpened(_id, "printer on fire"), Ct);

        var ticket = await Eventually.Until(() => _saga.Ticket(_id), t => t is not null, "the saga row");

        Assert.Equal("printer on fire", ticket!.Title);
        Assert.Equal("Open", ticket.CurrentState);
        Assert.Equal(1, ticket.Version);
    }

    [Fact]
    public async Task A_second_event_persists_the_transition_and_bumps_the_version()
    {
        await _saga.Bus.Publish(new TicketOpened(_id, "printer on fire"), Ct);
        await Eventually.Until(() => _saga.Ticket(_id), t => t is not null, "the saga row");

        await _saga.Bus.Publish(new TicketAssigned(_id, "ada"), Ct);

        var ticket = await Eventually.Until(() => _saga.Ticket(_id), t => t?.CurrentState == "Taken", "the Taken state");
        Assert.Equal("ada", ticket!.Assignee);
        Assert.Equal(2, ticket.Version);
    }

    [Fact]
    public async Task A_side_entity_added_by_an_activity_is_committed_with_the_saga()
    {
        await _saga.Bus.Publish(new TicketOpened(_id, "printer on fire", Note: "call facilities"), Ct);

        await Eventually.Until(() => _saga.Ticket(_id), t => t is not null, "the saga row");
        var notes = await _saga.Read(db => db.Notes.Where(n => n.TicketId == _id).Select(n => n.Text).ToListAsync(Ct));
        Assert.Equal(["call facilities"], notes);
    }

    [Fact]
    public async Task Neither_saga_nor_side_entity_is_committed_when_the_activity_throws()
    {
        await _saga.Bus.Publish(new TicketOpened(_id, "printer on fire", Note: "call facilities", FailAfterNote: true), Ct);

        var faults = await Eventually.Until(() => Task.FromResult(_saga.Log.Faulted.ToArray()),
            f => f.Any(x => x.Message is TicketOpened o && o.TicketId == _id), "the message to fault");

        // The state machine wraps what an activity throws.
        Assert.IsType<InvalidOperationException>(faults.Single().Exception.InnerException);
        Assert.Null(await _saga.Ticket(_id));
        Assert.Equal(0, await _saga.Read(db => db.Notes.CountAsync(Ct)));
    }

    [Fact]
    public async Task Finalize_deletes_the_saga_row()
    {
        await _saga.Bus.Publish(new TicketOpened(_id, "printer on fire"), Ct);
        await Eventually.Until(() => _saga.Ticket(_id), t => t is not null, "the saga row");

        await _saga.Bus.Publish(new TicketClosed(_id), Ct);

        await Eventually.Until(() => _saga.Ticket(_id), t => t is null, "the saga row to be deleted");
    }

    [Fact]
    public async Task Two_concurrent_initial_events_produce_one_saga_and_the_loser_retries_onto_it()
    {
        await Task.WhenAll(
            _saga.Bus.Publish(new TicketOpened(_id, "first", Rendezvous: true), Ct),
            _saga.Bus.Publish(new TicketOpened(_id, "second", Rendezvous: true), Ct));

        var ticket = await Eventually.Until(() => _saga.Ticket(_id), t => t?.Opens == 2, "both events on one saga");

        Assert.Equal(2, ticket!.Version);
        Assert.Equal(1, await _saga.Read(db => db.Tickets.CountAsync(Ct)));
        Assert.Contains(_saga.Log.Retried, e => e is DbUpdateException and not DbUpdateConcurrencyException);
        Assert.Empty(_saga.Log.Faulted);
    }

    [Fact]
    public async Task A_stale_update_under_the_bus_is_healed_by_retry()
    {
        await _saga.Bus.Publish(new TicketOpened(_id, "printer on fire"), Ct);
        await Eventually.Until(() => _saga.Ticket(_id), t => t is not null, "the saga row");

        await _saga.Bus.Publish(new TicketAssigned(_id, "ada", InterfereOnce: true), Ct);

        var ticket = await Eventually.Until(() => _saga.Ticket(_id), t => t?.CurrentState == "Taken", "the Taken state");
        Assert.Equal("ada", ticket!.Assignee);
        Assert.Equal(3, ticket.Version); // 1 insert, 2 the intruder, 3 the retried update
        Assert.Contains(_saga.Log.Retried, e => e is DbUpdateConcurrencyException);
        Assert.Empty(_saga.Log.Faulted);
    }
}
