using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace RewardEvents.UnitTests.Sagas;

public sealed class TicketStateMachine : MassTransitStateMachine<TicketState>
{
    public TicketStateMachine()
    {
        InstanceState(x => x.CurrentState);
        Event(() => Opened, e => e.CorrelateById(m => m.Message.TicketId));
        Event(() => Assigned, e => e.CorrelateById(m => m.Message.TicketId));
        Event(() => Closed, e => e.CorrelateById(m => m.Message.TicketId));

        Initially(
            When(Opened)
                .ThenAsync(async context =>
                {
                    context.Saga.Title = context.Message.Title;
                    context.Saga.Opens = 1;
                    if (context.Message.Rendezvous)
                        await context.GetServiceOrCreateInstance<TicketTestHooks>().Rendezvous();

                    if (context.Message.Note is { } note)
                    {
                        // The activity shares the message scope's DbContext with the repository.
                        context.GetServiceOrCreateInstance<TicketDbContext>().Notes.Add(new TicketNote { TicketId = context.Saga.CorrelationId, Text = note });
                    }

                    if (context.Message.FailAfterNote)
                        throw new InvalidOperationException("The activity failed after adding its note.");
                })
                .TransitionTo(Open));

        During(Open,
            When(Opened).Then(context => context.Saga.Opens++),
            When(Assigned)
                .ThenAsync(async context =>
                {
                    if (context.Message.InterfereOnce && context.GetServiceOrCreateInstance<TicketTestHooks>().TryInterfere())
                        await UpdateBehindTheSagasBack(context);

                    context.Saga.Assignee = context.Message.Assignee;
                })
                .TransitionTo(Taken));

        During(Open, Taken, When(Closed).Finalize());

        SetCompletedWhenFinalized();
    }

    public State Open { get; private set; } = null!;
    public State Taken { get; private set; } = null!;
    public Event<TicketOpened> Opened { get; private set; } = null!;
    public Event<TicketAssigned> Assigned { get; private set; } = null!;
    public Event<TicketClosed> Closed { get; private set; } = null!;

    static async Task UpdateBehindTheSagasBack(BehaviorContext<TicketState, TicketAssigned> context)
    {
        var options = context.GetServiceOrCreateInstance<DbContextOptions<TicketDbContext>>();
        await using var other = new TicketDbContext(options);
        var row = await other.Tickets.SingleAsync(x => x.CorrelationId == context.Saga.CorrelationId);
        row.Assignee = "intruder";
        row.Version++;
        await other.SaveChangesAsync();
    }
}
