namespace RewardEvents.Fleet;

/// <summary>The message transport: the broker in production, in-process for the embedded Server.</summary>
public enum TransportKind
{
    RabbitMq,
    InMemory,
}
