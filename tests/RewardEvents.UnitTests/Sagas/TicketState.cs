using MassTransit;
using RewardEvents.Persistence.Sagas;

namespace RewardEvents.UnitTests.Sagas;

public sealed class TicketState : SagaStateMachineInstance, IVersionedSaga
{
    public Guid CorrelationId { get; set; }
    public int Version { get; set; }
    public string CurrentState { get; set; } = "";
    public string Title { get; set; } = "";
    public string? Assignee { get; set; }
    public int Opens { get; set; }
}
