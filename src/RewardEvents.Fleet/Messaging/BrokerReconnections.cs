namespace RewardEvents.Fleet.Messaging;

/// <summary>
/// How many times the host's own probe connection to the broker was lost and then opened again. A broker restart
/// closes every connection, so this moves after one (and after a network break); the messages the broker held only
/// in memory may then be gone.
/// </summary>
public sealed class BrokerReconnections
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    internal void Record() => Interlocked.Increment(ref _count);
}
