using MassTransit;

namespace RewardEvents.Persistence;

/// <summary>The routing saga of one event: what was matched and how far the deliveries have got.</summary>
public sealed class RoutingState : SagaStateMachineInstance, Sagas.IVersionedSaga
{
    /// <summary>The state of a saga whose deliveries are not all final (the state machine's <c>Delivering</c>).</summary>
    public const string Delivering = "Delivering";

    /// <summary>The state of a saga whose deliveries are all final (the state machine's <c>Completed</c>).</summary>
    public const string Completed = "Completed";

    public Guid CorrelationId { get; set; }
    public string CurrentState { get; set; } = "";
    public string EventId { get; set; } = "";
    public string EventType { get; set; } = "";
    public string UserId { get; set; } = "";
    public long Sequence { get; set; }

    /// <summary>The JSON body receivers get, <c>sequence</c> included.</summary>
    public string Payload { get; set; } = "";

    public int DeliveryCount { get; set; }
    public int FinalCount { get; set; }
    public DateTime ReceivedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public int Version { get; set; }
}
